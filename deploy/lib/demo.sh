# deploy/lib/demo.sh - the quickstart's demo: setup and narrated scenario.
# Sourced by ./deploy/quickstart after the build; uses HB_TOP, STATE, BIN, PGDIR.

if [ -t 1 ]; then
    say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    say() { printf '\n== %s\n' "$*"; }
fi
note() { printf '   %s\n' "$*"; }
# Runs the CLI against station A or B, echoing the command line.
# The command line goes to stderr so that $(cli_a ...) captures only the result.
cli_a() { printf '   $ hourbank -c %s %s\n' "station-a.yaml" "$*" >&2; "$BIN/hourbank" -c "$STATE/station-a.yaml" "$@"; }
cli_b() { printf '   $ hourbank -c %s %s\n' "station-b.yaml" "$*" >&2; "$BIN/hourbank" -c "$STATE/station-b.yaml" "$@"; }
admin() { printf '   $ hourbank --admin %s %s\n' "admin.yaml" "$*" >&2; "$BIN/hourbank" --admin "$STATE/admin.yaml" "$@"; }
# add_member CLI ARGS...: runs "member add", shows its output, prints the number.
add_member() {
    local out
    out=$("$@") || return 1
    printf '%s\n' "$out" >&2
    printf '%s\n' "$out" | grep -oE '[A-Z0-9]{2,8}-[0-9]{6}-[0-9]' | head -1
}

free_port() {
    local port=${1:-7400}
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    echo "$port"
}

# start NAME CMD...: a daemon in the background, its pid in run/NAME.pid.
start() {
    local name=$1; shift
    "$@" >>"$STATE/log/$name.log" 2>&1 &
    echo $! >"$STATE/run/$name.pid"
}

key() { cat "$STATE/keys/$1.public"; }

write_configs() {
    local port=$1 console_port
    CONSOLE_PORT=$(free_port 8080)
    console_port=$CONSOLE_PORT
    cat >"$STATE/central.yaml" <<YAML
# The demo's ledger: two districts sharing one credit pool.
listen: "tcp://127.0.0.1:$port"
database: "host=$PGDIR port=5432 user=postgres dbname=hourbank"
secret_key_file: keys/central.secret
log_level: info
clock_skew: 10m
max_record_age: 90d
guarantee_budget: 100000h
time_zone: Asia/Shanghai
admin_public_keys: ["$(key admin)"]
categories:
  - {name: companionship, description: "visits, walks and conversation"}
  - {name: meal-delivery, description: "bringing a hot meal"}
  - {name: personal-care, description: "help with bathing and dressing"}
  - {name: shopping, description: "errands and groceries"}
districts:
  - code: GULOU
    name: Gulou District
    cap: 1500h
    overflow: donate
    daily_limit: 8h
    gifts: family
    leaver_hours: family
    payer_rules:
      - {category: personal-care, payer: guarantee, min_recipient_age: 80}
    communities:
      - code: QX03
        name: Qingxi Community
        stations:
          - {id: 1, name: Qingxi station, public_key: "$(key station-a)"}
  - code: QINHUAI
    name: Qinhuai District
    cap: 750h
    overflow: reject
    daily_limit: 8h
    gifts: any
    payer_rules:
      - {category: "*", payer: guarantee, min_recipient_age: 85}
    communities:
      - code: QH01
        name: Fuzimiao Community
        stations:
          - {id: 2, name: Fuzimiao station, public_key: "$(key station-b)"}
YAML
    local s id comm
    for s in a b; do
        if [ $s = a ]; then id=1 comm=QX03; else id=2 comm=QH01 console_port=$(free_port $((CONSOLE_PORT + 1))); fi
        cat >"$STATE/station-$s.yaml" <<YAML
station_id: $id
community: $comm
central_endpoint: "tcp://127.0.0.1:$port"
central_public_key: "$(key central)"
public_key_file: keys/station-$s.public
secret_key_file: keys/station-$s.secret
outbox_path: outbox-$s.sqlite
ipc_endpoint: "ipc://$STATE/run/station-$s.sock"
log_level: info
default_operator: demo
language: zh_CN
console_listen: "127.0.0.1:$console_port"
YAML
    done
    cat >"$STATE/admin.yaml" <<YAML
central_endpoint: "tcp://127.0.0.1:$port"
central_public_key: "$(key central)"
public_key_file: keys/admin.public
secret_key_file: keys/admin.secret
YAML
}

wait_for() {  # wait_for SECONDS CMD...: until CMD succeeds
    local end=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}

demo_setup() {
    say "starting a private PostgreSQL in $PGDIR"
    hb_pg_start "$PGDIR" || return 1
    hb_as_pg "$HB_PGBIN/psql" -h "$PGDIR" -U postgres -qc "CREATE DATABASE hourbank" postgres || return 1
    say "generating CURVE keys (secret keys are 0600)"
    local k
    for k in central station-a station-b admin; do
        "$BIN/hourbank" keygen "$STATE/keys/$k" >/dev/null || return 1
    done
    write_configs "$(free_port 7400)"
    "$BIN/hourbank-central" -c "$STATE/central.yaml" --check-config || return 1
    "$BIN/hourbank-central" -c "$STATE/central.yaml" migrate || return 1
    start central "$BIN/hourbank-central" -c "$STATE/central.yaml" run
    start station-a "$BIN/hourbank-station" -c "$STATE/station-a.yaml"
    start station-b "$BIN/hourbank-station" -c "$STATE/station-b.yaml"
    wait_for 20 "$BIN/hourbank" -c "$STATE/station-a.yaml" categories || { note "station A did not come up; see $STATE/log"; return 1; }
    wait_for 20 "$BIN/hourbank" -c "$STATE/station-b.yaml" categories || { note "station B did not come up; see $STATE/log"; return 1; }
    start console-a "$BIN/hourbank-console" -c "$STATE/station-a.yaml"
    wait_for 20 http_answers "$CONSOLE_PORT" || { note "station A's console did not come up; see $STATE/log"; return 1; }
    note "central, two stations and station A's console are running (logs in $STATE/log)"
}

# http_answers PORT: the console on 127.0.0.1:PORT answers its sign-in page.
http_answers() {
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET /signin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r line <&3
    exec 3<&-
    [[ $line == "HTTP/1.1 200"* ]]
}

synced() { "$BIN/hourbank" -c "$STATE/station-$1.yaml" --json queue | grep -q '"pending": *0[,}]'; }

demo_scenario() {
    local wang li chen zhao sun
    say "1. station operators register members (numbers are allocated offline, with a check digit)"
    wang=$(add_member cli_a member add --name "Wang Fang" --role volunteer --birth-year 1962)
    li=$(add_member cli_a member add --name "Li Wei" --role elder --birth-year 1938)
    chen=$(add_member cli_a member add --name "Chen Jie" --role both --birth-year 1990 --family "$li")
    zhao=$(add_member cli_b member add --name "Zhao Lei" --role volunteer --birth-year 1960)
    sun=$(add_member cli_b member add --name "Sun Hua" --role elder --birth-year 1937)
    [ -n "$wang" ] && [ -n "$li" ] && [ -n "$chen" ] && [ -n "$zhao" ] && [ -n "$sun" ] || return 1

    say "2. volunteers record services (the pool's guarantee pays for care of the very old)"
    note "(the station keeps central's rules: it says who would pay before anything is saved)"
    cli_a rules
    cli_a record --provider "$wang" --recipient "$li" --duration 2h --category personal-care --dry-run || return 1
    cli_a record --provider "$wang" --recipient "$li" --duration 2h --category personal-care --note "morning bath" || return 1
    cli_b record --provider "$zhao" --recipient "$sun" --duration 1h30m --category meal-delivery || return 1
    wait_for 20 synced a && wait_for 20 synced b
    cli_a categories

    say "3. the link to central goes down; the station keeps working"
    kill "$(cat "$STATE/run/central.pid")"; rm -f "$STATE/run/central.pid"; sleep 1
    cli_a record --provider "$wang" --recipient "$li" --duration 1h --category personal-care || return 1
    cli_a record --provider "$chen" --recipient "$li" --duration 45m --category personal-care || return 1
    cli_a queue
    cli_a balance "$wang"
    note "(a record central is certain to refuse is refused at once, offline too: op 1:999 was never issued)"
    cli_a void 1:999 --reason "typed the wrong number"

    say "4. central is back: the queue drains by itself, exactly once"
    start central "$BIN/hourbank-central" -c "$STATE/central.yaml" run
    wait_for 30 synced a || { note "station A did not drain; see $STATE/log"; return 1; }
    cli_a status

    say "5. a cross-district service: Zhao Lei (Qinhuai) helps Wang Fang (Gulou), who pays from her hours"
    note "(station B learns of members registered elsewhere from central's directory snapshot)"
    wait_for 30 "$BIN/hourbank" -c "$STATE/station-b.yaml" member show "$wang" ||
        { note "station B has not received the directory; see $STATE/log"; return 1; }
    cli_b member show "$wang"
    cli_b record --provider "$zhao" --recipient "$wang" --duration 1h --category companionship || return 1

    say "6. a redemption at home: Chen Jie shops for Wang Fang, paid from her hours"
    cli_a record --provider "$chen" --recipient "$wang" --duration 30m --category shopping || return 1

    say "7. a record central must refuse: Li Wei holds no hours of his own for companionship"
    cli_a record --provider "$wang" --recipient "$li" --duration 1h --category companionship || return 1
    wait_for 20 synced a && wait_for 20 synced b
    cli_a queue --rejected

    say "8. a gift within the family and a donation to the pool, then balances and a statement"
    cli_a gift --from "$chen" --to "$li" --duration 30m --reason "for dad" || return 1
    cli_a donate "$chen" 15m --reason "for neighbours who need it" || return 1
    wait_for 20 synced a
    sleep 6  # the stations refresh their directory every 5 s
    cli_a balance "$wang"
    cli_a balance "$li"
    cli_b balance "$zhao"
    cli_a statement "$wang"
    note "(Li Wei's passbook: his care, paid by the guarantee, moves none of his hours)"
    cli_a passbook "$li" --width 48
    cli_a passbook "$li" --html "$STATE/passbook-li.html" --lang zh_CN --paper a5 &&
        note "(the same passbook in Chinese, for A5 paper: $STATE/passbook-li.html)"
    printf '   $ LANG=zh_CN.UTF-8 hourbank -c %s %s\n' "station-a.yaml" "queue --rejected" >&2
    LANG=zh_CN.UTF-8 LANGUAGE= LC_ALL= "$BIN/hourbank" -c "$STATE/station-a.yaml" queue --rejected

    say "9. members' lives: a correction, a second person of the same name, a move, a leave"
    cli_a member amend "$li" --birth-year 1936 --reason "his ID card says 1936" || return 1
    note "(the same name and birth year again: the station asks whether it is another person)"
    cli_a member add --name "Wang Fang" --role volunteer --birth-year 1962
    cli_a member add --name "Wang Fang" --role volunteer --birth-year 1962 --confirm-new >/dev/null || return 1
    note "(Sun Hua moves to her daughter's community in Gulou: a new card, and the old number still works)"
    local moved sun_new
    moved=$(cli_a member move "$sun" --reason "lives with her daughter now") || return 1
    printf '%s\n' "$moved" >&2
    sun_new=$(printf '%s\n' "$moved" | grep -oE 'QX03-[0-9]{6}-[0-9]' | head -1)
    [ -n "$sun_new" ] || return 1
    wait_for 20 synced a
    sleep 6
    cli_b member show "$sun"
    cli_a balance "$sun_new"
    note "(Li Wei has died: his hours go to his family as Gulou's rule says, then his data is erased)"
    cli_a member leave "$li" --died --heir "$chen" --reason "passed away" || true
    cli_a member leave "$li" --died --heir "$chen" --reason "passed away" --yes || return 1
    wait_for 20 synced a
    sleep 6
    cli_a member show "$li"
    cli_a balance "$chen"

    say "10. bringing in a pilot's paper books: members and opening balances from CSV"
    printf 'ref,name,birth_year,role,family_ref,relation\nP-01,Zhou Lan,1941,elder,,\nP-02,Zhou Ming,1968,volunteer,P-01,son\n' \
        >"$STATE/pilot-members.csv"
    printf 'member,hours,source\nP-01,12:30,passbook p. 3\nP-02,40:00,passbook p. 7\n' >"$STATE/pilot-balances.csv"
    cli_a import members "$STATE/pilot-members.csv" --dry-run || return 1
    cli_a import members "$STATE/pilot-members.csv" || return 1
    cli_a import balances "$STATE/pilot-balances.csv" || return 1
    note "(the same file again posts nothing)"
    cli_a import balances "$STATE/pilot-balances.csv" || return 1
    wait_for 20 synced a

    say "11. the station console: the web page operators use (zh_CN or en per operator)"
    note "an operator with a PIN signs in to the console; five wrong PINs lock the name for a while"
    printf '   $ hourbank -c station-a.yaml operator add 王芳 --pin   (PIN 1234, one line of stdin)\n' >&2
    printf '1234\n' | "$BIN/hourbank" -c "$STATE/station-a.yaml" operator add 王芳 --pin >/dev/null || return 1
    http_answers "$CONSOLE_PORT" || { note "the console does not answer on port $CONSOLE_PORT"; return 1; }
    note "open http://localhost:$CONSOLE_PORT/ in a browser on this PC and sign in as 王芳 with PIN 1234"

    say "12. district IT: each station proves central holds all it saved; stations; the ledger check"
    cli_a reconcile || return 1
    cli_b reconcile || return 1
    admin stations
    admin verify || return 1
    DEMO_MEMBER=$wang
}

demo_epilogue() {
    cat <<TXT

The demo system is still running:
  ledger     $STATE/central.yaml   (log: $STATE/log/central.log)
  station A  $STATE/station-a.yaml (community QX03, Gulou)
  station B  $STATE/station-b.yaml (community QH01, Qinhuai)
  console    http://localhost:${CONSOLE_PORT:-8080}/ (station A; sign in as 王芳, PIN 1234)

Keep using it, for example:
  $BIN/hourbank -c $STATE/station-a.yaml balance ${DEMO_MEMBER:-QX03-000001-?}
  $BIN/hourbank -c $STATE/station-a.yaml member find wang
  $BIN/hourbank -c $STATE/station-a.yaml --help
  $BIN/hourbank --admin $STATE/admin.yaml verify

Stop it with:
  ./deploy/quickstart stop
TXT
}
