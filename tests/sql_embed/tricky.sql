-- A statement whose comment holds what a CMake list or a C comment would
-- break: a semicolon; an array type text[]; "quotes", a back\slash, … and
-- the end of a C comment */ in the middle.
SELECT {{FQ_M(a.b, coalesce(x, 'p,q'), '(')}} AS m, -- a comment at the end; it hides nothing after it
       'a;b' AS s, $2::text[] AS arr
-- a comment line inside is dropped
  FROM {{FQ_N}} WHERE x = E'\n' AND y = $3
