#!/bin/sh
# File names as they come from real shares and cameras, through score's
# tables (src/cmd-common.c): a comma, a double quote, a newline, UTF-8, and
# bytes that are not UTF-8 (a Latin-1 name, a lone continuation byte, an
# encoded surrogate, an overlong '/').
#  - --json: every line is UTF-8, as JSON must be, so that a strict parser
#    reads all of them; quote and newline escaped; each byte outside a
#    well-formed sequence is \ufffd; UTF-8 names kept as they are;
#  - --csv: a field with a comma, quote or newline is quoted (quotes
#    doubled); the name's bytes are kept as they are;
#  - eval's roc.svg, whose title holds the data set's path and whose
#    legend the defect folders' names: & < > as entities, non-UTF-8 bytes
#    as U+FFFD, so that it stays XML a browser draws.
NAME=cli-file-names
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
effad fit "$T/m.efm" $I/png-c*.png -o "$T/a.gauss" --quiet >/dev/null 2>&1 || bad "fit"
mkdir "$T/d"
latin1=$(printf 'caf\351')
broken=$(printf 'x\200-\355\240\200-\300\257')
utf8=$(printf 'na\303\257ve-\360\237\230\200')
cp $I/png-c2-d8.png "$T/d/a,b \"c\".png"
cp $I/png-c2-d8.png "$T/d/new
line.png"
cp $I/png-c2-d8.png "$T/d/$latin1.png"
cp $I/png-c2-d8.png "$T/d/$broken.png"
cp $I/png-c2-d8.png "$T/d/$utf8.png"

effad score "$T/a.gauss" "$T/m.efm" "$T/d" --json >"$T/s.jsonl" 2>"$T/s.err" || bad "score --json: $(cat "$T/s.err")"
[ "$(grep -c '"file"' "$T/s.jsonl")" -eq 5 ] || bad "--json: not 5 records: $(cat "$T/s.jsonl")"
if command -v iconv >/dev/null; then
    iconv -f UTF-8 -t UTF-8 "$T/s.jsonl" >/dev/null 2>&1 || bad "--json: output is not UTF-8"
else
    echo "$NAME: no iconv here: the UTF-8 check of --json not run"
fi
has() { grep -qF -- "$1" "$T/s.jsonl" || bad "--json lacks $1"; }
has "\"file\":\"$T/d/a,b \\\"c\\\".png\""
has "\"file\":\"$T/d/new\\u000aline.png\""
has "\"file\":\"$T/d/caf\\ufffd.png\""
has "\"file\":\"$T/d/x\\ufffd-\\ufffd\\ufffd\\ufffd-\\ufffd\\ufffd.png\""
has "\"file\":\"$T/d/$utf8.png\""

effad score "$T/a.gauss" "$T/m.efm" "$T/d" --csv >"$T/s.csv" 2>"$T/s.err" || bad "score --csv: $(cat "$T/s.err")"
csv() { grep -qF -- "$1" "$T/s.csv" || bad "--csv lacks $1"; }
csv "\"$T/d/a,b \"\"c\"\".png\","
csv "\"$T/d/new"
csv "line.png\","
csv "$T/d/$latin1.png,"
csv "$T/d/$broken.png,"
csv "$T/d/$utf8.png,"

mkdir -p "$T/R&D/test/good" "$T/R&D/test/spot<&>" "$T/R&D/test/$latin1"
cp $I/png-c2-d8.png $I/png-c6-d8.png "$T/R&D/test/good/"
cp $I/png-c0-d8.png "$T/R&D/test/spot<&>/"
cp $I/png-c4-d8.png "$T/R&D/test/$latin1/"
effad eval "$T/a.gauss" "$T/m.efm" "$T/R&D" -o "$T/rep" >/dev/null 2>"$T/e.err" || bad "eval: $(cat "$T/e.err")"
svg="$T/rep/roc.svg"
grep -qF "R&amp;D (AUROC" "$svg" || bad "roc.svg: the title's & not escaped: $(grep -F 'image ROC' "$svg")"
grep -qF ">spot&lt;&amp;&gt;  " "$svg" || bad "roc.svg: the legend's < & > not escaped"
grep -qF "$(printf '>caf\357\277\275  ')" "$svg" || bad "roc.svg: the Latin-1 folder name not U+FFFD"
grep -q 'R&D\|spot<' "$svg" && bad "roc.svg: a bare & or < left"
if command -v iconv >/dev/null; then iconv -f UTF-8 -t UTF-8 "$svg" >/dev/null 2>&1 || bad "roc.svg is not UTF-8"; fi
exit $fail
