#!/usr/bin/env bash
# Full-build benchmark: birge against Hugo on the same generated corpus, and birge's
# one-edit rebuild through its build cache.
#
#   bash scripts/bench.sh [SIZE...] [--runs N] [--no-hugo] [--keep-outputs] [--cooldown S]
#
# SIZE is a number of articles (default: 1000 10000 50000; DESIGN.md's 100k targets:
# `bash scripts/bench.sh 10000 100000`); --runs is the number of timed
# builds per tool and size (default 3); --no-hugo times birge alone; --keep-outputs
# deletes the output folders only on exit instead of right after each run; --cooldown is
# how long to wait after a deletion before the next timed run (default 65 s, see below).
#
# birge is built once in release mode. Each corpus is generated once into a temporary
# folder (removed on exit). For each size the runs alternate birge and Hugo; every run
# writes into a fresh output folder that did not exist before, which is counted and then
# deleted right after the run, not right before the next one (../shared/peers/README.md;
# but see "Beware" below). Wall time and peak RSS come from GNU time.
# The table shows medians; every run is also printed as it finishes.
#
# Beware: on an ext4 file system without a journal (as on the project's machines), the
# kernel avoids reusing inodes deleted in the last 60 s (up to 6 min while their inode
# table is not yet written back) and scans past every such inode each time it creates a
# file or folder. A build that starts soon after a large tree was deleted (the previous
# run's output, a previous benchmark's temp folder) then spends seconds in mkdir/open:
# a high "sys" time in the per-run lines shows it. So after deleting a run's output the
# script syncs (inode tables written back: the window is 60 s) and waits --cooldown
# seconds before the next timed run. That removes most of the effect but not all: creating
# files dirties those inode tables again, and for a dirty table the window is 6 minutes,
# so system time still creeps up over a series (for both tools alike, as runs alternate).
# --cooldown 361 removes it entirely, at 6 minutes per run. Wait a few minutes after
# deleting anything large before benchmarking.
set -euo pipefail

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

runs=3
hugo=1
keep=0
cooldown=65
sizes=()
while (($# > 0)); do
    case "$1" in
        --runs)
            [[ $# -ge 2 ]] || { echo "bench.sh: --runs needs a number" >&2; exit 2; }
            runs=$2
            shift 2
            ;;
        --runs=*)
            runs=${1#--runs=}
            shift
            ;;
        --no-hugo)
            hugo=0
            shift
            ;;
        --keep-outputs)
            keep=1
            shift
            ;;
        --cooldown)
            [[ $# -ge 2 ]] || { echo "bench.sh: --cooldown needs a number of seconds" >&2; exit 2; }
            cooldown=$2
            shift 2
            ;;
        --cooldown=*)
            cooldown=${1#--cooldown=}
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            echo "bench.sh: unknown option $1" >&2
            usage >&2
            exit 2
            ;;
        *)
            sizes+=("$1")
            shift
            ;;
    esac
done
((${#sizes[@]} > 0)) || sizes=(1000 10000 50000)
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs must be a positive integer, not '$runs'" >&2; exit 2; }
[[ $cooldown =~ ^[0-9]+$ ]] || { echo "bench.sh: --cooldown must be a whole number of seconds, not '$cooldown'" >&2; exit 2; }
for size in "${sizes[@]}"; do
    [[ $size =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: size must be a positive integer, not '$size'" >&2; exit 2; }
done

# --- tools -------------------------------------------------------------------------------
timer=/usr/bin/time
if [[ ! -x $timer ]] || ! "$timer" -f '%e' true >/dev/null 2>&1; then
    echo "bench.sh: GNU time is required at $timer (install it with: apt-get install time)" >&2
    exit 1
fi
hugo_bin=
if ((hugo)); then
    hugo_bin=$(command -v hugo || true)
    if [[ -z $hugo_bin ]]; then
        echo "bench.sh: hugo not found on PATH (install it with: apt-get install hugo, or pass --no-hugo)" >&2
        exit 1
    fi
fi

top=$(git rev-parse --show-toplevel)
shared=$(cd "$top/../shared" && pwd)
gen=$shared/tools/gen_corpus.py
peer=$shared/peers/hugo
[[ -f $gen ]] || { echo "bench.sh: corpus generator not found at $gen" >&2; exit 1; }
if ((hugo)) && [[ ! -d $peer ]]; then
    echo "bench.sh: Hugo peer site not found at $peer" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/birge-bench.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== building birge (release)" >&2
(cd "$top" && cargo build --release --quiet)
birge=$top/target/release/birge
[[ -x $birge ]] || { echo "bench.sh: $birge was not built" >&2; exit 1; }

{
    echo "== birge: $("$birge" --version 2>/dev/null || echo unknown) ($(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- 2>/dev/null || echo ', dirty tree'))"
    ((hugo)) && echo "== hugo:  $("$hugo_bin" version 2>/dev/null | head -n1)"
    echo "== $(nproc) cores, runs per tool and size: $runs, temp: $tmp"
    if ((keep)); then
        echo "== output folders are kept until exit"
    else
        echo "== output folders are deleted right after each run, then sync and ${cooldown} s of rest before the next run"
    fi
} >&2

# --- helpers -----------------------------------------------------------------------------

# median < numbers (one per line): the middle value, or the mean of the two middle ones.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
        else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# busy_ticks: the CPU time (in USER_HZ ticks, all cores) the whole machine has spent busy.
busy_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# rest_after_deletion: waits until --cooldown seconds have passed since the last deletion.
deleted_at=
rest_after_deletion() {
    [[ -n $deleted_at ]] || return 0
    local left=$((deleted_at + cooldown - SECONDS))
    ((left > 0)) && sleep "$left"
    return 0
}

# timed_run TOOL SIZE RUN OUT CMD...: runs CMD under GNU time, stops the benchmark with the
# tool's own output if it fails, counts the files in OUT, deletes OUT (unless --keep-outputs), and appends
# "seconds peak-kB files" to $tmp/results-TOOL-SIZE. It also prints the CPU time of the
# run and the CPU time other processes used meanwhile (from /proc/stat), so that runs
# disturbed by other work on the machine can be told apart.
timed_run() {
    local tool=$1 size=$2 run=$3 out=$4
    shift 4
    local tfile=$tmp/time.txt log=$tmp/log.txt status=0
    if [[ -e $out ]]; then
        echo "bench.sh: output folder $out already exists" >&2
        exit 1
    fi
    rest_after_deletion
    local before after
    before=$(busy_ticks)
    "$timer" -f '%e %M %U %S' -o "$tfile" "$@" >"$log" 2>&1 || status=$?
    after=$(busy_ticks)
    if ((status != 0)); then
        echo "bench.sh: $tool failed on the $size-article corpus (run $run, exit status $status):" >&2
        echo "  command: $*" >&2
        cat "$log" >&2
        exit 1
    fi
    local secs kb usr sys files own other
    read -r secs kb usr sys <"$tfile"
    files=$(find "$out" -type f | wc -l)
    if ((!keep)); then
        rm -rf "$out"
        sync
        deleted_at=$SECONDS
    fi
    echo "$secs $kb $files" >>"$tmp/results-$tool-$size"
    own=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    # CPU time of the machine's other processes during the run (never below 0).
    other=$(awk -v a="$after" -v b="$before" -v hz="$(getconf CLK_TCK)" -v o="$own" \
        'BEGIN { x = (a - b) / hz - o; printf "%.2f", (x < 0 ? 0 : x) }')
    printf '   %-5s %6d  run %d/%d: %7.2f s %7.0f MB %7d files   usr %6.2f s  sys %6.2f s  others %5.2f s\n' \
        "$tool" "$size" "$run" "$runs" "$secs" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" \
        "$files" "$usr" "$sys" "$other" >&2
    # Flag the run when other processes took more than a quarter of a core during it.
    if awk -v x="$other" -v w="$secs" 'BEGIN { exit !(x > 0.2 && x > 0.25 * w) }'; then
        echo "$tool $size run $run: other processes used $other s of CPU during this ${secs} s run" >>"$tmp/disturbed"
    fi
    if [[ -s $log ]]; then
        echo "   ($tool printed:)" >&2
        sed 's/^/     /' "$log" >&2
    fi
}

# med TOOL SIZE COLUMN: the median of a results column (1 seconds, 2 kB, 3 files).
med() {
    local f=$tmp/results-$1-$2
    [[ -s $f ]] || { echo nan; return; }
    awk -v c="$3" '{ print $c }' "$f" | median
}

# files TOOL SIZE: the file count, or "a..b" when the runs disagree.
files() {
    local f=$tmp/results-$1-$2
    [[ -s $f ]] || { echo -; return; }
    awk '{ print $3 }' "$f" | sort -n | uniq | awk '{ v[NR] = $1 } END { if (NR == 1) print v[1]; else print v[1] ".." v[NR] }'
}

# --- corpora -----------------------------------------------------------------------------
for size in "${sizes[@]}"; do
    echo "== generating the $size-article corpus" >&2
    python3 "$gen" --articles "$size" --seed 1 --flavor birge --out "$tmp/c-birge-$size" >/dev/null
    if ((hugo)); then
        python3 "$gen" --articles "$size" --seed 1 --flavor peers --out "$tmp/c-hugo-$size" >/dev/null
        cp -r "$peer/." "$tmp/c-hugo-$size/"
    fi
done

# --- runs --------------------------------------------------------------------------------
for size in "${sizes[@]}"; do
    echo "== timing $size articles" >&2
    for ((i = 1; i <= runs; i++)); do
        out=$tmp/out-birge-$size-$i
        timed_run birge "$size" "$i" "$out" \
            "$birge" build --root "$tmp/c-birge-$size" --future --quiet --no-cache --output "$out"
        if ((hugo)); then
            out=$tmp/out-hugo-$size-$i
            timed_run hugo "$size" "$i" "$out" \
                "$hugo_bin" --source "$tmp/c-hugo-$size" --destination "$out" --quiet
        fi
    done
done

# --- one edit through the build cache ------------------------------------------------------
# A full build that keeps the cache, then for each run one article retitled (a different
# one each time) and `birge build` again into the same folder; BIRGE_TIMINGS shows where
# the time goes.
for size in "${sizes[@]}"; do
    site=$tmp/c-birge-$size
    out=$tmp/edit-out-$size
    echo "== one edit on $size articles (build cache)" >&2
    /usr/bin/time -f '%e %M' -o "$tmp/full-cache-$size" \
        "$birge" build --root "$site" --future --quiet --output "$out" 2>/dev/null
    read -r secs kb <"$tmp/full-cache-$size"
    printf '   full build keeping the cache: %7.2f s %7.0f MB\n' "$secs" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" >&2
    mapfile -t articles < <(find "$site/content/news" -name '*.md' | sort)
    for ((i = 1; i <= runs; i++)); do
        file=${articles[$(( (i * 997) % ${#articles[@]} ))]}
        sed -i "0,/^title: \"/s//title: \"Edited $i /" "$file"
        BIRGE_TIMINGS=1 /usr/bin/time -f '%e %M %U %S' -o "$tmp/edit-time" \
            "$birge" build --root "$site" --future --quiet --output "$out" 2>"$tmp/edit-log"
        read -r secs kb usr sys <"$tmp/edit-time"
        cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        echo "$secs $kb $cpu" >>"$tmp/edit-$size"
        printf '   edit %d/%d: %7.3f s %7.0f MB  cpu %5.2f s  (%s)\n' "$i" "$runs" "$secs" \
            "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')" "$cpu" "${file#"$site"/}" >&2
        grep -E '^timing: [a-z]' "$tmp/edit-log" | grep -v 'timing:   ' | sed 's/^/     /' >&2
    done
    rm -rf "$out"
done

# --- table -------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { if (k == "nan") print "-"; else printf "%.0f", k / 1024 }'; }
secs() { awk -v s="$1" 'BEGIN { if (s == "nan") print "-"; else printf "%.2f", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "-"; else printf "%.2f", a / b }'; }

echo
printf '%8s  %10s %11s  %10s %11s  %11s  %11s %11s\n' \
    size "birge s" "birge MB" "Hugo s" "Hugo MB" "birge/Hugo" "files birge" "files Hugo"
for size in "${sizes[@]}"; do
    bt=$(med birge "$size" 1)
    bm=$(med birge "$size" 2)
    ht=nan hm=nan hf=-
    if ((hugo)); then
        ht=$(med hugo "$size" 1)
        hm=$(med hugo "$size" 2)
        hf=$(files hugo "$size")
    fi
    printf '%8s  %10s %11s  %10s %11s  %11s  %11s %11s\n' \
        "$size" "$(secs "$bt")" "$(mb "$bm")" "$(secs "$ht")" "$(mb "$hm")" \
        "$(ratio "$bt" "$ht")" "$(files birge "$size")" "$hf"
done
echo "(medians of $runs runs; time is wall-clock seconds, MB is peak RSS; birge/Hugo is the time ratio)"
echo
printf '%8s  %18s %10s %12s\n' size "one-edit rebuild s" "MB" "user+sys s"
for size in "${sizes[@]}"; do
    f=$tmp/edit-$size
    printf '%8s  %18s %10s %12s\n' "$size" \
        "$(awk '{ print $1 }' "$f" | median)" \
        "$(mb "$(awk '{ print $2 }' "$f" | median)")" \
        "$(awk '{ print $3 }' "$f" | median)"
done
echo "(birge build with its cache after one retitled article, medians of $runs; on a busy machine the CPU time says more than the wall time)"
if [[ -s $tmp/disturbed ]]; then
    echo "warning: other work on the machine competed with these runs; their times are not reliable:"
    sed 's/^/  /' "$tmp/disturbed"
fi

# Scaling: for each pair of consecutive sizes (sorted), the time ratio against the size
# ratio (linear growth means the two match). 50k/10k is the one DESIGN.md cares about.
mapfile -t sorted < <(printf '%s\n' "${sizes[@]}" | sort -n | uniq)
if ((${#sorted[@]} > 1)); then
    echo
    for ((k = 1; k < ${#sorted[@]}; k++)); do
        lo=${sorted[k - 1]} hi=${sorted[k]}
        line=$(printf '%s/%s time ratio: birge %s' "$hi" "$lo" "$(ratio "$(med birge "$hi" 1)" "$(med birge "$lo" 1)")")
        if ((hugo)); then
            line+=", Hugo $(ratio "$(med hugo "$hi" 1)" "$(med hugo "$lo" 1)")"
        fi
        echo "$line (size ratio $(ratio "$hi" "$lo"))"
    done
    # 50k/10k explicitly, when both were run but other sizes sit between them.
    if printf '%s\n' "${sorted[@]}" | grep -qx 50000 && printf '%s\n' "${sorted[@]}" | grep -qx 10000 &&
        printf '%s\n' "${sorted[@]}" | awk '$1 > 10000 && $1 < 50000 { found = 1 } END { exit !found }'; then
        line="50000/10000 time ratio: birge $(ratio "$(med birge 50000 1)" "$(med birge 10000 1)")"
        if ((hugo)); then
            line+=", Hugo $(ratio "$(med hugo 50000 1)" "$(med hugo 10000 1)")"
        fi
        echo "$line (size ratio 5.00)"
    fi
fi
