#!/usr/bin/env bash
# po/check-catalog.sh SRCDIR [WORKDIR] - the catalog-coverage check (ctest
# i18n_catalog_coverage, so ./tests/run runs it).
#
# Fails, naming each problem with file:line, when:
#   - a string marked _() or N_() in the programs' sources has no zh_CN
#     translation (missing, empty or fuzzy in po/zh_CN.po);
#   - po/zh_CN.po holds an entry no source uses any more, or an obsolete
#     (#~) entry;
#   - msgfmt --check-format finds a translation whose printf specifiers
#     differ from its msgid's (zh_CN.po and en.po).
# To add what is missing: translate each named msgid in po/zh_CN.po.
set -uo pipefail
src=${1:?usage: check-catalog.sh SRCDIR [WORKDIR]}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
pot=$work/hourbank.pot
status=0

cd "$src" || exit 2
# The programs' sources: every .c and .h under the programs' folders.
mapfile -t files < <(find client server common config proto -name '*.[ch]' 2>/dev/null | LC_ALL=C sort)
if ! xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 --language=C --no-wrap \
        --add-location=full --sort-by-file -o "$pot" "${files[@]}"; then
    echo "check-catalog: xgettext failed" >&2
    exit 1
fi
[ -f "$pot" ] || : > "$pot"   # no marked string at all: an empty template

# Formats are checked with the flags xgettext gives each msgid (c-format
# where it holds printf specifiers), merged into a copy of each catalog.
for po in po/zh_CN.po po/en.po; do
    merged=$work/$(basename "$po" .po).merged.po
    if ! msgmerge --quiet --no-fuzzy-matching --no-wrap -o "$merged" "$po" "$pot" ||
       ! msgfmt --check-format -o /dev/null "$merged"; then
        echo "$po: msgfmt --check-format failed (see above)" >&2
        status=1
    fi
done

# Entries of a .po/.pot as one record per line:
#   KIND<TAB>LOCATIONS<TAB>FLAGS<TAB>MSGID<TAB>MSGSTR
# (KIND = entry or obsolete; strings kept escaped as in the file).
entries() {
    awk '
    function flush() {
        if (have) printf "%s\t%s\t%s\t%s\t%s\n", kind, loc, flags, id, str
        have = 0; kind = "entry"; loc = ""; flags = ""; id = ""; str = ""; field = ""
    }
    function unq(s) { sub(/^[ \t]*"/, "", s); sub(/"[ \t]*$/, "", s); return s }
    BEGIN { kind = "entry" }
    /^#~/ { if (field == "str" && have) flush(); kind = "obsolete"; line = $0; sub(/^#~ ?/, "", line)
            if (line ~ /^msgid /) { sub(/^msgid /, "", line); id = unq(line); field = "id"; have = 1 }
            else if (line ~ /^msgstr /) { sub(/^msgstr /, "", line); str = unq(line); field = "str" }
            else if (line ~ /^"/) { if (field == "id") id = id unq(line); else str = str unq(line) }
            next }
    /^#:/ { if (field == "str") flush(); line = $0; sub(/^#: */, "", line); loc = loc (loc ? " " : "") line; next }
    /^#,/ { if (field == "str") flush(); line = $0; sub(/^#, */, "", line); flags = flags (flags ? "," : "") line; next }
    /^#/  { if (field == "str") flush(); next }
    /^msgctxt / { if (field == "str") flush(); next }
    /^msgid_plural / { field = "plural"; next }
    /^msgid / { if (field == "str") flush(); line = $0; sub(/^msgid /, "", line); id = unq(line); field = "id"; have = 1; next }
    /^msgstr/ { line = $0; sub(/^msgstr(\[[0-9]+\])? /, "", line); if (field != "str") str = unq(line); field = "str"; next }
    /^"/ { if (field == "id") id = id unq($0); else if (field == "str") str = str unq($0); next }
    /^[ \t]*$/ { if (field == "str") flush(); next }
    END { if (field == "str") flush() }
    ' "$1"
}

entries "$pot" | awk -F'\t' '$4 != ""' > "$work/sources.tsv"
entries po/zh_CN.po > "$work/zh_CN.tsv"

# The same awk reads both tables: first the catalog, then the sources.
awk -F'\t' -v catalog=po/zh_CN.po '
    FNR == NR { if ($1 == "obsolete") { printf "%s: obsolete entry msgid \"%s\": remove it\n", catalog, $4; bad = 1; next }
                if ($4 == "") next
                have[$4] = 1; str[$4] = $5; fuzzy[$4] = ($3 ~ /fuzzy/); next }
    { used[$4] = 1
      why = !($4 in have) ? "not in " catalog : (str[$4] == "" ? "untranslated in " catalog : (fuzzy[$4] ? "fuzzy in " catalog : ""))
      if (why != "") {
          n = split($2, locs, " ")
          for (i = 1; i <= n; i++) printf "%s: msgid \"%s\" %s\n", locs[i], $4, why
          bad = 1
      } }
    END { for (m in have) if (!(m in used)) { printf "%s: msgid \"%s\" is used by no source: remove it\n", catalog, m; bad = 1 }
          exit bad }
' "$work/zh_CN.tsv" "$work/sources.tsv" >&2 || status=1

n=$(wc -l < "$work/sources.tsv")
if [ $status -eq 0 ]; then
    echo "check-catalog: $n messages, every one translated in po/zh_CN.po"
fi
exit $status
