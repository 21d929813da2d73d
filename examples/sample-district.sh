#!/usr/bin/env bash
# sample-district.sh FENGQIAO_ADMIN: a small sample of Hangzhou's West Lake
# District for the quick start. The district and its two towns are real
# (灵隐街道 Lingyin sub-district, 双浦镇 Shuangpu town); the villages and
# communities named are real places of those towns, the grids are generated
# (two per village). The full demo district comes with the console.
# Adds only what is missing, so it can run again.
set -euo pipefail
admin=${1:?usage: sample-district.sh PATH/TO/fengqiao-admin}

existing=$("$admin" unit list | awk 'NR > 1 {print $1}')
add_unit() { # id kind parent name
    if ! grep -qx "$1" <<<"$existing"; then
        if [ "$3" = - ]; then
            "$admin" unit add "$1" --kind "$2" --name "$4" >/dev/null
        else
            "$admin" unit add "$1" --kind "$2" --parent "$3" --name "$4" >/dev/null
        fi
    fi
}

add_unit xihu district - "西湖区"
add_unit lingyin town xihu "灵隐街道"
add_unit shuangpu town xihu "双浦镇"
while read -r id town name; do
    add_unit "$id" village "$town" "$name"
    add_unit "$id-g1" grid "$id" "${name}1号网格"
    add_unit "$id-g2" grid "$id" "${name}2号网格"
done <<'VILLAGES'
lingyin-yuquan lingyin 玉泉社区
lingyin-lingfeng lingyin 灵峰社区
lingyin-maojiabu lingyin 茅家埠社区
shuangpu-tongjianhu shuangpu 铜鉴湖村
shuangpu-dongjiang shuangpu 东江嘴村
VILLAGES
echo "sample district: $("$admin" unit list | awk 'NR > 1' | wc -l) units" >&2
