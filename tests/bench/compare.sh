# shellcheck shell=bash disable=SC2154  # compare_n, compare_s, compare_rev, compare_name_* and compare_args_* are set by run
# tests/bench/compare.sh - ./tests/bench/run --compare REV: the end-to-end
# ingestion part of hb_bench (part 2, with the ceiling, part 1, in the same
# process) for REV and for the current tree, in alternate rounds on one
# PostgreSQL; per-round figures, the median of each side and the ratio
# median(current) / median(REV). Sourced by tests/bench/run, not executed.
#
# REV may be older than this file: only the current tree's script drives the
# comparison. What REV's hb_bench accepts is read from its usage line, and
# both sides are run with the same -n and -s.

compare_tmp=        # REV's worktree, its build, each round's files; removed at exit
compare_w=          # width of the longer side name, for the table
compare_failed_dir= # where a failed round's files are kept (set by run)

# compare_prepare REV: REV into a detached worktree of this repository,
# built in Release in its own build directory. Sets compare_sha and
# compare_build.
compare_prepare() {
    local rev=$1
    compare_sha=$(git -C "$HB_TOP" rev-parse --verify --quiet "$rev^{commit}") ||
        { hb_say "hourbank: --compare: \"$rev\" is not a revision of $HB_TOP"; return 64; }
    compare_tmp=$(mktemp -d /tmp/hourbank-compare.XXXXXX) || return 1
    git -C "$HB_TOP" worktree add --detach --quiet "$compare_tmp/src" "$compare_sha" ||
        { hb_say "hourbank: --compare: could not check out $rev into $compare_tmp/src"; return 1; }
    compare_build=$compare_tmp/build
    hb_say "hourbank: building $rev (${compare_sha:0:10}, Release) into $compare_build"
    HB_TOP=$compare_tmp/src HB_TARGETS="hourbank-central hourbank-station hourbank hb_bench" \
        hb_build "$compare_build" -DCMAKE_BUILD_TYPE=Release ||
        { hb_say "hourbank: --compare: REV $rev (${compare_sha:0:10}) failed to build"; return 1; }
}

# Removes the worktree and everything built or run for it. Safe to call
# more than once and before compare_prepare.
compare_cleanup() {
    [ -n "$compare_tmp" ] || return 0
    if [ -d "$compare_tmp/src" ]; then
        git -C "$HB_TOP" worktree remove --force "$compare_tmp/src" ||
            hb_say "hourbank: could not remove the worktree $compare_tmp/src; remove it with git worktree remove"
    fi
    rm -rf "$compare_tmp"
    compare_tmp=
}

# compare_args BUILD_DIR: prints the hb_bench options (without -o) that run
# parts 1 and 2 with compare_n records and compare_s stations, as far as that
# build's hb_bench has the options. A hb_bench without -p runs every part;
# parts 3 and 4 come after part 2 in every version, so they cost time but do
# not change its figure, and the smallest -t and -k keep them short.
compare_args() {
    local usage
    usage=$("$1/tests/bench/hb_bench" '-?' 2>&1)  # an unknown option: it prints its usage
    printf '%s' "-n $compare_n -s $compare_s"
    case $usage in
        *"[-p "*) printf ' -p 12' ;;
        *) case $usage in *"[-t "*) printf ' -t 1' ;; esac
           printf ' -k 100' ;;
    esac
}

# compare_stations_max BUILD_DIR: the most stations that build's hb_bench
# takes (its usage says "stations 1..N"); empty when it does not say.
compare_stations_max() {
    "$1/tests/bench/hb_bench" '-?' 2>&1 | sed -n 's/.*stations 1\.\.\([0-9]*\).*/\1/p'
}

# Drops the databases hb_bench made (each run makes its own, named after
# its pid) and checkpoints, so that a round neither inherits the previous
# one's data nor pays for flushing it.
compare_pg_reset() {
    local psql="$HB_PGBIN/psql -h $HB_TEST_PGHOST -p $HB_TEST_PGPORT -U postgres -d postgres -Atqc" db
    for db in $($psql "SELECT datname FROM pg_database WHERE datname LIKE 'hb\_bench\_%'"); do
        $psql "DROP DATABASE \"$db\"" || return 1
    done
    $psql "CHECKPOINT"
}

# compare_json_number FILE KEY: a number from hb_bench's one-line JSON.
compare_json_number() {
    sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1"
}

# compare_one ROUND SIDE: one hb_bench run of side A (REV) or B (current).
# Appends "round side e2e_per_s ceiling_per_s ops seconds" to
# $compare_tmp/rounds. A run fails if hb_bench exits non-zero or warns that
# central does not hold every op (its rate would then measure something
# else); its files are kept in $compare_failed_dir.
compare_one() {
    local round=$1 side=$2 build name args dir rc e2e ceiling ops secs
    if [ "$side" = A ]; then build=$compare_build name=$compare_name_a args=$compare_args_a
    else build=$HB_TOP/build-bench name=$compare_name_b args=$compare_args_b; fi
    dir=$compare_tmp/round$round$side
    mkdir -p "$dir/tmp"
    compare_pg_reset || { hb_say "hourbank: could not reset PostgreSQL before round $round"; return 1; }
    # shellcheck disable=SC2086  # args is a list of options
    TMPDIR=$dir/tmp HB_BUILD_DIR=$build "$build/tests/bench/hb_bench" $args -o "$dir/bench.json" \
        >"$dir/hb_bench.log" 2>&1
    rc=$?
    local why=
    if [ $rc -ne 0 ]; then why="hb_bench exited with status $rc"
    elif grep -q 'hb_bench: WARNING' "$dir/hb_bench.log"; then why="central did not accept every op"
    elif [ ! -s "$dir/bench.json" ]; then why="hb_bench wrote no JSON"; fi
    if [ -n "$why" ]; then
        rm -rf "$compare_failed_dir"
        mv "$dir" "$compare_failed_dir"
        hb_say "hourbank: --compare: round $round, side $side ($name) FAILED: $why"
        tail -n 15 "$compare_failed_dir/hb_bench.log" >&2
        hb_say "hourbank: its files (hb_bench.log, daemons' logs under tmp/) are kept in $compare_failed_dir"
        return 1
    fi
    e2e=$(compare_json_number "$dir/bench.json" e2e_per_s)
    ceiling=$(compare_json_number "$dir/bench.json" ceiling_per_s)
    ops=$(compare_json_number "$dir/bench.json" ops)
    secs=$(compare_json_number "$dir/bench.json" e2e_seconds)
    echo "$round $side $e2e $ceiling $ops $secs" >>"$compare_tmp/rounds"
    awk -v r="$round" -v s="$side" -v n="$name" -v w="$compare_w" -v e="$e2e" -v c="$ceiling" -v o="$ops" \
        -v t="$secs" 'BEGIN { printf "round %d  %s %-" w "s  end-to-end %6.0f /s (%d ops in %.1f s)  ceiling %6.0f /s  e2e/ceiling %.3f\n",
                              r, s, n, e, o, t, c, (c > 0 ? e / c : 0) }'
    rm -rf "$dir"
}

# compare_median SIDE WHAT: the median over one side's rounds of its
# end-to-end rate (WHAT = e2e) or of its end-to-end / ceiling (WHAT = ratio).
compare_median() {
    awk -v s="$1" -v w="$2" '$2 == s { print (w == "e2e" ? $3 : ($4 > 0 ? $3 / $4 : 0)) }' "$compare_tmp/rounds" |
        sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# compare_side_line SIDE NAME MEDIAN MEDIAN_RATIO: one side's medians and
# the range of its runs (ranges that overlap widely say the ratio is noise).
compare_side_line() {
    local range
    range=$(awk -v s="$1" '$2 == s { print $3 }' "$compare_tmp/rounds" | sort -g | sed -n '1p;$p' | paste -sd-)
    awk -v s="$1" -v n="$2" -v w="$compare_w" -v m="$3" -v q="$4" -v g="$range" \
        'BEGIN { printf "median   %s %-" w "s  end-to-end %6.0f /s  e2e/ceiling %.3f  (runs %s /s)\n", s, n, m, q, g }'
}

# compare_run ROUNDS JSON MACHINE: the rounds, then the summary on stdout
# and in JSON. Returns non-zero as soon as a run fails.
compare_run() {
    local rounds=$1 json=$2 machine=$3 r load0 load1 ma mb mra mrb ratio
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    compare_w=${#compare_name_a}
    [ ${#compare_name_b} -gt "$compare_w" ] && compare_w=${#compare_name_b}
    : >"$compare_tmp/rounds"
    echo "hourbank: --compare: A = $compare_name_a: hb_bench $compare_args_a"
    echo "hourbank: --compare: B = $compare_name_b: hb_bench $compare_args_b"
    # Rounds alternate ABBA: A B, then B A, then A B... A load that rises or
    # falls during the run (another build starting, PostgreSQL's files
    # growing) lands on both sides alike, where ABAB... would give every B
    # the later, and every A the earlier, slot of each pair.
    for ((r = 1; r <= rounds; r++)); do
        if ((r % 2)); then
            compare_one "$r" A || return 1
            compare_one "$r" B || return 1
        else
            compare_one "$r" B || return 1
            compare_one "$r" A || return 1
        fi
    done
    load1=$(cut -d' ' -f1-3 /proc/loadavg)
    ma=$(compare_median A e2e) mb=$(compare_median B e2e)
    mra=$(compare_median A ratio) mrb=$(compare_median B ratio)
    ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }')
    echo
    compare_side_line A "$compare_name_a" "$ma" "$mra"
    compare_side_line B "$compare_name_b" "$mb" "$mrb"
    echo "ratio median(current) / median($compare_rev) = $ratio$(awk -v x="$ratio" \
        'BEGIN { print (x < 0.9 ? "  BELOW 0.9: a regression to explain or fix" : "  (>= 0.9)") }')"
    echo "machine: $machine; load average $load0 before the first run, $load1 after the last (with its own load)"
    compare_json "$json" "$rounds" "$ma" "$mb" "$mra" "$mrb" "$ratio" "$machine" "$load0" "$load1" || return 1
    echo "hourbank: --compare: JSON in $json"
}

compare_json() {
    local json=$1 rounds=$2 ma=$3 mb=$4 mra=$5 mrb=$6 ratio=$7 machine=$8 load0=$9 load1=${10}
    {
        printf '{"rev": "%s", "rev_sha": "%s", "current": "%s", "n": %s, "stations": %s, "rounds": %s,\n' \
            "$compare_rev" "$compare_sha" "$compare_name_b" "$compare_n" "$compare_s" "$rounds"
        printf ' "runs": ['
        awk '{ printf "%s\n  {\"round\": %d, \"side\": \"%s\", \"e2e_per_s\": %s, \"ceiling_per_s\": %s, \"ops\": %s, \"e2e_seconds\": %s}",
                      (NR > 1 ? "," : ""), $1, $2, $3, $4, $5, $6 }' "$compare_tmp/rounds"
        printf '],\n "median_e2e_per_s": {"A": %s, "B": %s}, "median_e2e_ratio": {"A": %.4f, "B": %.4f},\n' \
            "$ma" "$mb" "$mra" "$mrb"
        printf ' "ratio": %s, "machine": "%s", "loadavg_start": "%s", "loadavg_end": "%s"}\n' \
            "$ratio" "$machine" "$load0" "$load1"
    } >"$json"
}
