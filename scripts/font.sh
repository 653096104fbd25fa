#!/usr/bin/env bash
# Makes the kiosk's Chinese font, ui/font/kiosk-sc.otf: the glyphs of
# Noto Sans CJK SC (Debian's fonts-noto-cjk, SIL Open Font License) that
# the kiosk shows, so that it never loads the 20 MB system fonts for them
# (40 MB of memory for the regular and bold faces) and renders the same on
# every machine. The glyphs: every Chinese character and full-width mark
# of ui/translations/*.json and of the core's reason messages
# (terminal/reason.go), and the first characters of the common surnames
# (百家姓), which masked names (张*) show; and the space, which Fyne draws
# with the font of the characters around it. A rarer character falls back to
# the system's fonts. Run it again after changing a text:
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
print(" " + "".join(sorted({c for c in s if ord(c) >= 0x2E80})))')
/usr/bin/python3 -m fontTools.subset /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
  --font-number=2 --text="$chars" --layout-features='*' --no-hinting --desubroutinize \
  --output-file=ui/font/kiosk-sc.otf
echo "ui/font/kiosk-sc.otf: $(printf '%s' "$chars" | /usr/bin/python3 -c 'import sys; print(len(sys.stdin.read()))') characters, $(stat -c %s ui/font/kiosk-sc.otf) bytes"
