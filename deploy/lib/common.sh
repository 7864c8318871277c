# deploy/lib/common.sh - shell helpers shared by ./tests/run, ./deploy/quickstart
# and ./tests/bench/run. Sourced, not executed.

HB_PGBIN=${HB_PGBIN:-/usr/lib/postgresql/15/bin}

# Debian packages hourbank needs to build, test and run.
HB_PACKAGES="build-essential cmake pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
 libpq-dev postgresql-15 postgresql-client-15 libyaml-dev libsqlite3-dev libsodium-dev
 libcmocka-dev universal-ctags clang libclang-rt-14-dev gettext libmicrohttpd-dev"
# What the console's browser tests add (./tests/run): a real Chromium driven by
# Selenium, and a font that has the Chinese characters.
HB_BROWSER_PACKAGES="chromium chromium-driver python3-selenium fonts-wqy-microhei"

hb_say() { printf '%s\n' "$*" >&2; }

# Installs what is missing of HB_PACKAGES and the packages named as
# arguments (as root), or names them and fails (as anyone else).
hb_install_deps() {
    local missing=() p
    for p in $HB_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        hb_say "hourbank: missing Debian packages: ${missing[*]}"
        hb_say "hourbank: install them with: sudo apt-get install -y ${missing[*]}"
        return 69
    fi
    hb_say "hourbank: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Runs a PostgreSQL binary as the postgres user when we are root
# (PostgreSQL refuses to run as root), as ourselves otherwise.
hb_as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# hb_pg_start DIR: a private cluster in DIR/data, listening only on a unix
# socket in DIR (no TCP port, no system cluster touched). Prints nothing;
# connect with host=DIR port=5432 user=postgres.
hb_pg_start() {
    local dir=$1
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        hb_as_pg "$HB_PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    hb_as_pg "$HB_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 \
        -o "-k $dir -c listen_addresses= -p 5432 -c max_connections=200" start >/dev/null ||
        { cat "$dir/postgresql.log" >&2; return 1; }
}

hb_pg_stop() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] || return 0
    hb_as_pg "$HB_PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# hb_build DIR [cmake args...]: configure and build into DIR. HB_TARGETS
# (space-separated) limits the build to those targets.
hb_build() {
    local dir=$1; shift
    local t targets=()
    for t in ${HB_TARGETS:-}; do targets+=(--target "$t"); done
    cmake -S "$HB_TOP" -B "$dir" -DHB_WERROR=ON "$@" >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log" >&2; return 1; }
    cmake --build "$dir" -j"$(nproc)" "${targets[@]}" >"$dir.build.log" 2>&1 ||
        { cat "$dir.build.log" >&2; return 1; }
}
