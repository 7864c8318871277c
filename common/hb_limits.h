/* hb_limits.h - every bound in hourbank, with its unit and its reason.
 *
 * No bare numbers in .c files: a queue, batch, message, string or loop
 * that needs a bound takes it from here. Units are the last word of each
 * name (_MAX/_MIN apply to that unit). Relations are checked at compile
 * time below.
 */
#ifndef HB_LIMITS_H
#define HB_LIMITS_H

/* Wire protocol version carried in every envelope. */
#define HB_PROTOCOL_VERSION 1u

/* ---- strings (bytes of UTF-8; text people write in characters) ---- */
/* Text people write is limited in characters (Unicode code points), so
 * that a Chinese note holds as many characters as an English one; the
 * byte bound of each, for buffers and HB_OP_BYTES_MAX, is derived at the
 * most bytes UTF-8 spends on one character. */
#define HB_UTF8_CHAR_BYTES_MAX 4
/* Names as printed on a member card: long enough for any real name, and
 * short enough that the whole station list (names of stations share the
 * bound) fits in one reply. */
#define HB_NAME_CHARS_MAX 40
#define HB_NAME_BYTES_MAX (HB_NAME_CHARS_MAX * HB_UTF8_CHAR_BYTES_MAX)
/* Operator notes and reasons: a few sentences, not a document. */
#define HB_NOTE_CHARS_MAX 512
#define HB_NOTE_BYTES_MAX (HB_NOTE_CHARS_MAX * HB_UTF8_CHAR_BYTES_MAX)
/* Station operators' names (Op.operator): a person's name or login. */
#define HB_OPERATOR_CHARS_MAX 32
#define HB_OPERATOR_BYTES_MAX (HB_OPERATOR_CHARS_MAX * HB_UTF8_CHAR_BYTES_MAX)
/* A family link's relation ("granddaughter", "外孙女"): one word or two. */
#define HB_RELATION_CHARS_MAX 24
#define HB_RELATION_BYTES_MAX (HB_RELATION_CHARS_MAX * HB_UTF8_CHAR_BYTES_MAX)
/* Family links of one member's profile: four generations of a large family. */
#define HB_FAMILY_LINKS_MAX 16
/* Heirs named when a member leaves (each a family link). */
#define HB_HEIRS_MAX HB_FAMILY_LINKS_MAX
/* Numbers of one member (the first plus one per move): a member who moved
 * more often is a mistake to look into, not a life. */
#define HB_MEMBER_NUMBERS_MAX 8
/* Phone numbers of members (RegisterMember.phone): digits, '+', '-' and
 * ' ' only (so characters are bytes); room for an international number
 * written with separators, never shorter than an emergency number. */
#define HB_PHONE_CHARS_MIN 3
#define HB_PHONE_CHARS_MAX 24
#define HB_PHONE_BYTES_MAX HB_PHONE_CHARS_MAX
/* An operator's PIN (OperatorRequest.pin): digits, as a console keypad
 * takes them; stored only as an argon2id hash. */
#define HB_PIN_DIGITS_MIN 4
#define HB_PIN_DIGITS_MAX 12
/* Result values (Param, PROTOCOL.md "Result values"): a few per result;
 * names are short keys, values at most a name (district, member). */
#define HB_PARAMS_MAX 16
#define HB_PARAM_NAME_BYTES_MAX 32
#define HB_PARAM_VALUE_BYTES_MAX HB_NAME_BYTES_MAX
/* Operators a station lists (OperatorsReply): a station's staff with room. */
#define HB_OPERATORS_MAX 256
/* Service category names: short catalogue keys such as "meal-delivery". */
#define HB_CATEGORY_BYTES_MAX 48
/* Community code: 2-8 uppercase letters/digits, e.g. "QX03". */
#define HB_COMMUNITY_CODE_BYTES_MIN 2
#define HB_COMMUNITY_CODE_BYTES_MAX 8
/* Member number "CODE-NNNNNN-D": code + '-' + 6 digits + '-' + check digit. */
#define HB_MEMBER_SERIAL_DIGITS 6
#define HB_MEMBER_SERIAL_MAX 999999u
/* Birth years accepted in registrations; 0 means "not given". */
#define HB_BIRTH_YEAR_MIN 1900
#define HB_BIRTH_YEAR_MAX 2100
#define HB_MEMBER_NO_BYTES_MAX (HB_COMMUNITY_CODE_BYTES_MAX + 1 + HB_MEMBER_SERIAL_DIGITS + 2)
/* Free-text search in the member directory. */
#define HB_SEARCH_BYTES_MAX 64
/* A save's client request id (SaveRequest.request_id): 32 hex digits of
 * randomness from the CLI; room for other clients' UUIDs and prefixes. */
#define HB_REQUEST_ID_BYTES_MAX 64
/* One-line alerts for district IT (QueueReply.alert, StationInfo.alert). */
#define HB_ALERT_BYTES_MAX 256
/* "inproc://hb-sync-monitor-" and a pointer in hex: the station's
 * endpoint for its link's connection events. */
#define HB_MONITOR_ENDPOINT_BYTES 64
/* Software identification string in hello. */
#define HB_SOFTWARE_BYTES_MAX 64
/* Error and result messages sent to peers. */
#define HB_MESSAGE_BYTES_MAX 256
/* Values of one result (PROTOCOL.md "Result values"): the most any code
 * carries is 5; room to add. */
#define HB_RESULT_PARAMS_MAX 8
/* Paths and endpoints read from configuration. */
#define HB_PATH_BYTES_MAX 1024
/* PostgreSQL conninfo strings (multi-host strings can be long). */
#define HB_CONNINFO_BYTES_MAX 2048

/* ---- messages and batches ---- */
/* Operations per batch: big enough to amortize a commit, small enough that
 * one batch never holds the ledger lock for long. */
#define HB_BATCH_OPS_MAX 256
/* Bytes per operation on the wire, worst case (all strings at max, each
 * character 4 bytes). */
#define HB_OP_BYTES_MAX 3072
/* Bytes per message; also ZMQ_MAXMSGSIZE on every socket. */
#define HB_MSG_BYTES_MAX (1024 * 1024)
/* What CURVE adds to a message before ZMQ_MAXMSGSIZE is checked (the
 * command name, nonce and MAC); measured: a frame of HB_MSG_BYTES_MAX - 32
 * was dropped without it. */
#define HB_CURVE_OVERHEAD_BYTES 33
/* Entries per statement page and per directory page. */
#define HB_PAGE_ENTRIES_MAX 500
#define HB_PAGE_ENTRIES_DEFAULT 50
/* Entries per statement page as central sends it: an entry carries a note
 * and a name, so a page of them is smaller than HB_PAGE_ENTRIES_MAX (a
 * larger limit asked for is cut to this). */
#define HB_STATEMENT_ENTRIES_MAX 200
/* What a save may say central will decide (SaveReply.cautions): one per
 * check the station cannot settle, and there are few. */
#define HB_CAUTIONS_MAX 8
/* "YYYY-MM-DD" */
#define HB_DAY_TEXT_BYTES 10
/* Members returned by a text search. */
#define HB_SEARCH_RESULTS_MAX 50
/* Station ids and seqs as the ledger stores them (PostgreSQL integer and
 * bigint): an op naming a larger one could never be posted. */
#define HB_STATION_ID_MAX 2147483647LL
#define HB_SEQ_MAX 9223372036854775807LL
/* Transfer ids and directory versions a query may name (PostgreSQL bigint):
 * a larger one is refused as MALFORMED before any SQL, since the database
 * could never answer it. */
#define HB_ROW_ID_MAX 9223372036854775807LL

/* ---- amounts (minutes) ---- */
/* One service record: at most one long day of care. */
#define HB_RECORD_MINUTES_MAX (24 * 60)
/* Gifts: at most a year's worth of daily care; larger sums are mistakes. */
#define HB_GIFT_MINUTES_MAX (365 * 24 * 60)
/* Caps and budgets in configuration (100,000 hours is far above any scheme). */
#define HB_ACCOUNT_MINUTES_MAX (100000LL * 60)
/* An opening balance brought in from a pilot's books (either sign): at most
 * what any cap allows. */
#define HB_OPENING_MINUTES_MAX HB_ACCOUNT_MINUTES_MAX

/* ---- time (seconds) ---- */
/* How far in the future a station clock may put occurred_at. */
#define HB_CLOCK_SKEW_S_DEFAULT (10 * 60)
#define HB_CLOCK_SKEW_S_MAX (24 * 3600)
/* How old a record may be when it reaches central (stations go offline for
 * weeks; a quarter is the accounting period). */
#define HB_RECORD_AGE_S_DEFAULT (90 * 24 * 3600)
#define HB_RECORD_AGE_S_MAX (400 * 24 * 3600)
/* Latest occurred_at accepted: 9999-12-31T23:59:59Z, the last instant
 * PostgreSQL's to_timestamp() and every station calendar can show. */
#define HB_OCCURRED_AT_S_MAX 253402300799LL

/* ---- retries and timers (milliseconds) ---- */
#define HB_RETRY_DELAY_MS_MIN 100
#define HB_RETRY_DELAY_MS_MAX 30000
#define HB_ACK_TIMEOUT_MS 5000
#define HB_HEARTBEAT_IVL_MS 2000
#define HB_HEARTBEAT_TIMEOUT_MS 10000
#define HB_POLL_TICK_MS 100
/* Batches a station keeps in flight before waiting for an ack. */
#define HB_INFLIGHT_BATCHES_MAX 4
/* Queries a station forwards to central at once (statements for the CLI). */
#define HB_FORWARD_MAX 16
/* How often a connected station asks central for directory changes. */
#define HB_DIRECTORY_REFRESH_MS 5000
/* After an ack changed balances, how soon to ask (at most this often). */
#define HB_DIRECTORY_AFTER_ACK_MS 500
/* How long a stopping station waits for acks of batches in flight. */
#define HB_DRAIN_MS HB_ACK_TIMEOUT_MS
/* Database reconnect backoff. */
#define HB_DB_RETRY_DELAY_MS_MAX 10000
/* Central's reader connection (central.yaml query_connect_timeout_seconds,
 * query_statement_timeout_seconds): the main thread that answers queries
 * also answers hellos and acks, so an unreachable or silent database may
 * hold it at most this long. libpq counts connect_timeout in whole seconds
 * and raises 1 to 2. */
#define HB_QUERY_CONNECT_TIMEOUT_S_DEFAULT 5
#define HB_QUERY_CONNECT_TIMEOUT_S_MIN 2
#define HB_QUERY_CONNECT_TIMEOUT_S_MAX 300
#define HB_QUERY_STATEMENT_TIMEOUT_S_DEFAULT 10
#define HB_QUERY_STATEMENT_TIMEOUT_S_MAX 3600
/* The first pause after a failed connection attempt of the reader (then
 * doubled up to HB_DB_RETRY_DELAY_MS_MAX): each attempt at an unreachable
 * database may hold the main thread for the connect timeout, so they are
 * not made for every query. */
#define HB_QUERY_RETRY_DELAY_MS_MIN 1000
/* How long past the statement timeout central waits for the server's
 * answer (its cancellation) before it drops the connection. */
#define HB_QUERY_REPLY_GRACE_MS 1000

/* ---- configuration ---- */
#define HB_CONFIG_BYTES_MAX (4 * 1024 * 1024)
#define HB_CONFIG_ERRORS_MAX 64
#define HB_CONFIG_DEPTH_MAX 16
#define HB_DISTRICTS_MAX 64
#define HB_COMMUNITIES_MAX 1024
#define HB_STATIONS_MAX 4096
#define HB_CATEGORIES_MAX 256
#define HB_RULES_MAX 1024
/* Payer rule ages: older than anyone. */
#define HB_RECIPIENT_AGE_YEARS_MAX 150
/* Payer rules of all districts together: they travel in one RulesReply. */
#define HB_PAYER_RULES_TOTAL_MAX 4096
/* An IANA time zone name ("Asia/Shanghai"); the longest in tzdata has 32. */
#define HB_TIME_ZONE_BYTES_MAX 64

/* ---- station outbox ---- */
/* outbox_max_bytes: the bytes of work not yet acknowledged by central (the
 * ops' own bytes; the file is larger). 256 MiB holds months of a busy
 * station's outage; 1 MiB still holds hundreds of records. */
#define HB_OUTBOX_BYTES_DEFAULT (256LL * 1024 * 1024)
#define HB_OUTBOX_BYTES_MIN (1024LL * 1024)
#define HB_RETENTION_DAYS_DEFAULT 400

/* ---- central ---- */
/* Batches applied together in one transaction (group commit). */
#define HB_GROUP_BATCHES_MAX 32
/* Ops applied in one group transaction: one fsync still serves this many,
 * and a query that arrives meanwhile waits for at most this much work. */
#define HB_GROUP_OPS_MAX 1024
/* Messages read from the socket per loop turn before doing other work. */
#define HB_RECV_BURST_MAX 256
/* Problems verify lists (the rest are counted): the first ones are enough
 * to diagnose a broken ledger, and the list fits in one reply. */
#define HB_VERIFY_PROBLEMS_MAX 100

/* ---- reconciliation (PROTOCOL.md, "Reconciliation") ---- */
/* Seqs per bucket: bucket k of a station holds seqs k*1000+1 .. (k+1)*1000.
 * Central seals a bucket's figures when it posts the bucket's last seq; a
 * station compares bucket by bucket. 1,000 keeps a listed bucket's ops
 * (about 70 bytes each) far inside one message and a run over 100,000 ops
 * at 100 ranges. */
#define HB_RECONCILE_BUCKET_OPS 1000
/* Seqs one ReconcileRange may span: one bucket. */
#define HB_RECONCILE_RANGE_SEQS_MAX HB_RECONCILE_BUCKET_OPS
/* Ranges in one ReconcileQuery: at most 64,000 rows read and hashed per
 * query, about 45 ms of central's loop on the test machine (100 ranges
 * took 26-66 ms), so that no station's run holds up the others' acks for
 * long; 100,000 ops take two queries. Also the differing ranges a report
 * lists. */
#define HB_RECONCILE_RANGES_MAX 64
/* Ranges one ReconcileQuery may ask to list (their ops in the reply). */
#define HB_RECONCILE_LISTED_MAX 8
/* Diffs a ReconcileReport lists (all are counted). */
#define HB_RECONCILE_DIFFS_MAX 1000
/* Seconds a run waits for central's answers to the ops it resent before
 * it reports them unanswered (they stay queued and are sent on). */
#define HB_RECONCILE_RESEND_WAIT_S 30
/* station.yaml reconcile_interval: seconds between the station's own runs
 * when it is idle (link up, nothing pending). */
#define HB_RECONCILE_INTERVAL_DEFAULT 3600
#define HB_RECONCILE_INTERVAL_MIN 1
#define HB_RECONCILE_INTERVAL_MAX (30 * 86400)

_Static_assert(HB_BATCH_OPS_MAX * HB_OP_BYTES_MAX < HB_MSG_BYTES_MAX,
               "a full batch of maximal ops must fit in one message");
_Static_assert(HB_NOTE_BYTES_MAX + HB_NAME_BYTES_MAX + HB_OPERATOR_BYTES_MAX + HB_PHONE_BYTES_MAX +
               4 * HB_MEMBER_NO_BYTES_MAX + 64 < HB_OP_BYTES_MAX,
               "HB_OP_BYTES_MAX must cover every string field at its max");
_Static_assert(HB_OPERATORS_MAX * (HB_OPERATOR_BYTES_MAX + 64) < HB_MSG_BYTES_MAX,
               "the whole operator list fits in one reply");
_Static_assert(HB_RETRY_DELAY_MS_MIN < HB_RETRY_DELAY_MS_MAX, "backoff bounds");
_Static_assert(HB_RECONCILE_LISTED_MAX * HB_RECONCILE_RANGE_SEQS_MAX * 80 < HB_MSG_BYTES_MAX,
               "the ops of every listed range fit in one reply");
_Static_assert(HB_RECONCILE_DIFFS_MAX * 120 + HB_RECONCILE_RANGES_MAX * 2 * 80 < HB_MSG_BYTES_MAX,
               "a full report fits in one message");
_Static_assert(HB_ACK_TIMEOUT_MS < HB_HEARTBEAT_TIMEOUT_MS, "ack timeout inside heartbeat timeout");
_Static_assert(HB_PAGE_ENTRIES_MAX * 256 < HB_MSG_BYTES_MAX, "a full page fits in a message");
_Static_assert(HB_STATEMENT_ENTRIES_MAX * (HB_NOTE_BYTES_MAX + HB_NAME_BYTES_MAX + HB_OPERATOR_BYTES_MAX + 256) <
               HB_MSG_BYTES_MAX, "a full statement page fits in a message");
_Static_assert(HB_STATEMENT_ENTRIES_MAX <= HB_PAGE_ENTRIES_MAX, "a statement page is a page");
_Static_assert(HB_PAYER_RULES_TOTAL_MAX * (HB_CATEGORY_BYTES_MAX + 64) + HB_COMMUNITIES_MAX * (HB_NAME_BYTES_MAX + 64) +
               HB_DISTRICTS_MAX * (HB_NAME_BYTES_MAX + HB_TIME_ZONE_BYTES_MAX + 64) < HB_MSG_BYTES_MAX,
               "the whole rules fit in one reply");
_Static_assert(HB_RECORD_MINUTES_MAX <= HB_GIFT_MINUTES_MAX, "record within gift bound");
_Static_assert(HB_GROUP_OPS_MAX >= HB_BATCH_OPS_MAX, "a group holds at least one full batch");
_Static_assert(HB_VERIFY_PROBLEMS_MAX < HB_PAGE_ENTRIES_MAX, "verify problems and a count line fit in a reply");
_Static_assert(HB_STATIONS_MAX * (HB_NAME_BYTES_MAX + HB_COMMUNITY_CODE_BYTES_MAX + 64) < HB_MSG_BYTES_MAX,
               "the whole station list fits in one reply");

/* ---- central's threads ---- */
/* Hellos answered with one group (each waits for the batches received
 * before it): one per station reconnecting at the same moment is plenty;
 * more start the next group. */
#define HB_GROUP_HELLOS_MAX 64
/* Reconcile reports recorded with one group (one statement each; a station
 * sends one per run, an hour apart by default): more start the next group. */
#define HB_GROUP_REPORTS_MAX 16
/* Seqs of each kind (missing, altered, extra) central keeps and logs of a
 * reconcile report (station_reconcile.firsts): enough to start looking. */
#define HB_RECONCILE_FIRSTS_MAX 5
/* Groups central holds at once: the one the writer thread applies, those
 * queued behind it, and the one being collected (at least two: double
 * buffering, so that collecting never waits for a commit). When all are
 * full central stops reading its socket until the writer hands one back,
 * and queries wait too: 16 groups of HB_GROUP_OPS_MAX hold what 16 stations
 * with HB_INFLIGHT_BATCHES_MAX full batches each have in flight (measured:
 * with 4, four saturating stations made central pause, balance p99 113 ms;
 * with 16, 9 ms). A group's job array is about 2.3 MB of address space, of
 * which only the pages its ops touch become resident. */
#define HB_GROUPS_IN_HAND_MAX 16
/* Verify queries queued for the verify thread (one runs at a time, for
 * seconds on a big ledger); more are answered UNAVAILABLE. */
#define HB_VERIFIES_QUEUED_MAX 4
_Static_assert(HB_GROUPS_IN_HAND_MAX >= 2, "one group in the writer while the next is collected");
/* Batches of one station central holds at once (received, not yet acked):
 * a station keeps at most HB_INFLIGHT_BATCHES_MAX in flight, and as many
 * again may still be in hand from before it resent them (a lost ack). One
 * more is answered UNAVAILABLE, so that no one station (a flood, a broken
 * client) fills every group in hand and holds back the others: its share
 * is at most two groups' ops of HB_GROUPS_IN_HAND_MAX. */
#define HB_STATION_BATCHES_IN_HAND_MAX (2 * HB_INFLIGHT_BATCHES_MAX)
_Static_assert(HB_STATION_BATCHES_IN_HAND_MAX >= HB_INFLIGHT_BATCHES_MAX, "a station's window always fits");
_Static_assert(HB_STATION_BATCHES_IN_HAND_MAX * HB_BATCH_OPS_MAX <= (HB_GROUPS_IN_HAND_MAX / 4) * HB_GROUP_OPS_MAX,
               "one station holds at most a quarter of the groups in hand");
/* Stations central tracks in memory (peers.h): every configured station,
 * and as many again added by reloads over the process's life. */
#define HB_PEER_STATIONS_MAX (2 * HB_STATIONS_MAX)
/* Connections per station whose hello central remembers: a station has one
 * at a time; a reconnection (a new routing id) may overlap the old one. */
#define HB_PEER_CONNECTIONS_MAX 4
/* How often central records in the ledger when stations last sent
 * anything: one UPDATE per tick for all that changed, never per message. */
#define HB_CONTACT_FLUSH_MS 2000

/* ---- station: group commit of saves ---- */
/* Saves the station commits in one SQLite transaction (one fsync) when
 * several operators' requests arrive together; a reply waits for at most
 * this many fsynced inserts. Taken from one burst of the API socket. */
#define HB_SAVE_GROUP_MAX 64
_Static_assert(HB_SAVE_GROUP_MAX >= 1 && HB_SAVE_GROUP_MAX <= HB_RECV_BURST_MAX,
               "a save group is read within one burst");

/* ---- central's writer cache (server/cache.h) ---- */
/* Members kept in memory: a city's active members (Nanjing 2020: about
 * 25,000) with room to spare; about 100 bytes each plus the map. */
#define HB_CACHE_MEMBERS_MAX 65536
/* (account, day) sums of served minutes kept: every provider's recent
 * days; when full the cache empties and refills from the database. */
#define HB_CACHE_DAY_SUMS_MAX 65536

/* ---- station: the outbox file, backup and restore ---- */
/* Pages copied per step of SQLite's online backup: 1 MiB at the default
 * 4 KiB page, a few milliseconds of reading, so that one step never keeps
 * the disk long from a station that is saving. */
#define HB_BACKUP_STEP_PAGES 256
/* Pause between two steps of a backup taken while the station may run:
 * leaves the disk to the station's fsyncs (a full 256 MiB outbox takes 256
 * steps, about 5 s of pauses in all). */
#define HB_BACKUP_PAUSE_MS 20
/* How long a backup's or a copy's statement waits for another connection's
 * lock (the station's write, its checkpoint) before it fails. */
#define HB_BACKUP_BUSY_MS_MAX 10000
/* Bytes hourbank appends to a configured path to name the files it keeps
 * beside it: ".before-restore-<20-digit unix time>-wal", ".lock", a temp
 * file's ".new-XXXXXX-journal". */
#define HB_PATH_SUFFIX_BYTES_MAX 64
_Static_assert(sizeof ".before-restore-" + 20 + sizeof "-wal" <= HB_PATH_SUFFIX_BYTES_MAX,
               "the name of a kept outbox's WAL fits the suffix bound");

/* ---- translations (common/hb_i18n.c) ---- */
/* A compiled catalog (hourbank.mo): a few hundred short sentences take
 * tens of kilobytes; a larger file is not ours and is refused. */
#define HB_I18N_CATALOG_BYTES_MAX (4 * 1024 * 1024)

/* ---- station: the checks at save (client/station/outbox_foresee.c) ---- */
/* How far the station's estimate of central's clock (its own clock plus
 * the offset a Welcome's server_time showed) may be behind central's: the
 * whole second server_time drops and the time the Welcome travelled. An
 * occurred_at is refused OCCURRED_IN_FUTURE or TOO_OLD only beyond the
 * window widened by this, so the station never refuses what central takes. */
#define HB_STATION_CLOCK_TOLERANCE_S 5
/* An op dated within this of the record-age edge may be too old by the
 * time it reaches central: its other refusals are not certain (central
 * judges the window first), so they become cautions, with TOO_OLD. */
#define HB_STATION_WINDOW_MARGIN_S 600

/* ---- operators signing in, and the console (client/console/) ---- */
/* Wrong PINs in a row that are only counted; the next one and every later
 * one locks the operator (station.yaml sign_in_lockout, doubled for each
 * failure past this: sign_in_lockout * 2^(failures - FREE - 1)). Four
 * lets a person mistype twice on two days without waiting. */
#define HB_SIGN_IN_FAILURES_FREE 4
/* station.yaml sign_in_lockout: the first lock, seconds. */
#define HB_SIGN_IN_LOCKOUT_S_DEFAULT 60
/* The longest single lock, where the doubling stops: one hour. A PIN has
 * at least 4 digits (10,000 values); at one guess an hour a guesser needs
 * over 200 days on average for the shortest PIN, and each failure is
 * logged; an operator who forgot a PIN waits at most an hour without the
 * station admin (hourbank operator unlock). Also the most the key may say. */
#define HB_SIGN_IN_LOCKOUT_S_MAX 3600
/* Failures counted at most (the doubling has long reached the cap; keeps
 * the counter and 2^n far from overflow). */
#define HB_SIGN_IN_FAILURES_MAX 64
/* Host names the console answers to (station.yaml console_allowed_hosts),
 * and the bytes of one: a DNS name (253) or "[" IPv6 "]". */
#define HB_CONSOLE_HOSTS_MAX 8
#define HB_HOST_BYTES_MAX 253
/* console_session_idle and console_session_max (seconds): 30 minutes
 * without a click ends a session, so does a working day; neither may be
 * longer than a week. */
#define HB_CONSOLE_SESSION_IDLE_S_DEFAULT (30 * 60)
#define HB_CONSOLE_SESSION_MAX_S_DEFAULT (12 * 3600)
#define HB_CONSOLE_SESSION_S_MAX (7 * 24 * 3600)
/* An interface language code ("zh_CN", "en"): station.yaml language,
 * Operator.language. */
#define HB_LANGUAGE_BYTES_MAX 7
_Static_assert(HB_SIGN_IN_LOCKOUT_S_DEFAULT <= HB_SIGN_IN_LOCKOUT_S_MAX, "the default lock is within the cap");
_Static_assert(HB_SIGN_IN_FAILURES_FREE < HB_SIGN_IN_FAILURES_MAX, "some failures lock");
_Static_assert(HB_CONSOLE_SESSION_IDLE_S_DEFAULT <= HB_CONSOLE_SESSION_MAX_S_DEFAULT,
               "a session idles out within its longest life");

/* ---- bringing in a pilot's records (hourbank import; client/station/station_import.c) ---- */
/* Rows of one import, held in the station's memory until its one
 * transaction: a community's members (Nanjing's whole city had 25,000
 * time bankers in 2020); a larger file is split. */
#define HB_IMPORT_ROWS_MAX 50000
/* Rows of one ImportRequest part; the CLI also keeps a part's encoding
 * under HB_IMPORT_PART_BYTES_MAX. */
#define HB_IMPORT_PART_ROWS_MAX 1000
#define HB_IMPORT_PART_BYTES_MAX (512 * 1024)
/* Results of one ImportReply, and their encoded bytes at most. */
#define HB_IMPORT_RESULTS_PAGE_MAX 2000
#define HB_IMPORT_RESULTS_PAGE_BYTES_MAX (768 * 1024)
/* An import's id (ImportRequest.import_id), like a request id. */
#define HB_IMPORT_ID_BYTES_MAX HB_REQUEST_ID_BYTES_MAX
/* A pilot's own id of a member (members.csv "ref"): room beside the
 * request id's prefix "import:member:" (14 bytes). */
#define HB_IMPORT_REF_BYTES_MAX 48
/* A CSV file the CLI reads whole: 50,000 rows of a few hundred bytes. */
#define HB_CSV_FILE_BYTES_MAX (64 * 1024 * 1024)
/* Fields of one CSV record, and the bytes of one field. */
#define HB_CSV_FIELDS_MAX 64
#define HB_CSV_FIELD_BYTES_MAX 4096
_Static_assert(HB_IMPORT_PART_BYTES_MAX + HB_OP_BYTES_MAX * 2 < HB_MSG_BYTES_MAX, "an import part fits a message");
_Static_assert(HB_IMPORT_RESULTS_PAGE_BYTES_MAX + 4096 < HB_MSG_BYTES_MAX, "a results page fits a message");
_Static_assert(sizeof "import:opening:" - 1 + HB_IMPORT_REF_BYTES_MAX <= HB_REQUEST_ID_BYTES_MAX,
               "an import's request id fits SaveRequest.request_id");

#endif
