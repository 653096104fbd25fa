#!/usr/bin/env bash
# Makes the kiosk's fonts, ui/font/kiosk-sc.otf and kiosk-sc-bold.otf: the
# glyphs of Noto Sans CJK SC, regular and bold (Debian's fonts-noto-cjk,
# SIL Open Font License), that the kiosk's screens show, so that they
# render the same on every machine and Fyne loads no other font for them:
# Fyne's own and the system's fonts cost 11 MB of memory once parsed, the
# system's CJK fonts 40 MB. The glyphs: every Chinese character and
# full-width mark of ui/translations/*.json and of the core's reason
# messages (terminal/reason.go), the first characters of the common
# surnames (百家姓), which masked names (张*) show, printable ASCII and
# Latin-1 (names, IDs and the English texts), and the punctuation and
# arrows the screens use. A rarer character falls back to the system's
# fonts. Run it again after changing a text:
#   scripts/font.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh fonts-noto-cjk python3-fonttools

surnames='赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎
鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄和穆萧尹
姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆
高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚程嵇邢滑裴陆荣翁荀羊於惠
甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙
叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴郁胥能苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍却璩桑桂
濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东
欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公上官欧阳
夏侯诸葛闻人东方赫连皇甫尉迟澹台宗政濮阳淳于太叔申屠孙轩辕令狐钟离宇文长孙慕容鲜于闾丘司徒司空覃付邝晋'

text=$(cat ui/translations/*.json terminal/reason.go; echo "$surnames")
chars=$(printf '%s' "$text" | /usr/bin/python3 -c '
import sys
s = sys.stdin.read()
latin = [chr(c) for c in list(range(0x20, 0x7F)) + list(range(0xA0, 0x100))]
marks = "\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201C\u201D\u2022\u2026\u2030\u2190\u2191\u2192\u2193"
print("".join(sorted(set(latin) | set(marks) | {c for c in s if ord(c) >= 0x2E80})))')
for face in Regular Bold; do
  out=ui/font/kiosk-sc.otf
  [ "$face" = Bold ] && out=ui/font/kiosk-sc-bold.otf
  /usr/bin/python3 -m fontTools.subset "/usr/share/fonts/opentype/noto/NotoSansCJK-$face.ttc" \
    --font-number=2 --text="$chars" --layout-features='*' --no-hinting --desubroutinize \
    --output-file="$out"
  echo "$out: $(printf '%s' "$chars" | /usr/bin/python3 -c 'import sys; print(len(sys.stdin.read()))') characters, $(stat -c %s "$out") bytes"
done
