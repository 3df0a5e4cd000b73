#!/usr/bin/env bats
# The docs cannot drift: man pages against the option table, the config keys and the
# message schema in the code; their EXAMPLES run; the shell completions work.
#
# Environment: OKXKIT_BIN (folder of the built tools), OKXKIT_SOURCE_DIR (repository root),
# OKXKIT_BUILD_DIR (build folder, for the rendered pages; optional).

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

setup() {
    SRC=${OKXKIT_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
    MAN=$SRC/man
    STREAM=${OKXKIT_BIN:-}/okx-stream
    if [[ -z ${OKXKIT_BIN:-} || ! -x $STREAM ]]; then
        fail "OKXKIT_BIN must name the folder of the built tools (no okx-stream in '${OKXKIT_BIN:-}')"
    fi
    FEATURIZE=${OKXKIT_BIN:-}/featurize
    TRAIN=${OKXKIT_BIN:-}/train
    PREDICT=${OKXKIT_BIN:-}/predict
    SELECT=${OKXKIT_BIN:-}/select-strategy
    EXECUTE=${OKXKIT_BIN:-}/execute
    GUARD=${OKXKIT_BIN:-}/risk-guard
    NEWS=${OKXKIT_BIN:-}/news
    BUILDER=${OKXKIT_BIN:-}/okx-builder
    AUDIT=${OKXKIT_BIN:-}/audit
    PAGES=(okx-stream.1 featurize.1 train.1 predict.1 select-strategy.1 risk-guard.1 execute.1
        audit.1 news.1 okx-builder.1 okxkit-config.5
        okxkit.7)
}

# --- helpers -------------------------------------------------------------------------------

# Prints section NAME ("# NAME" up to the next "# " heading) of an scdoc page.
section() {
    awk -v want="# $2" '/^# / { on = ($0 == want); next } on' "$1"
}

# Prints the literal blocks of a page's EXAMPLES section as records:
#   CMD<TAB>command    for a line "$ command"
#   OUT<TAB>line       for the output lines that follow a command
#   TEXT<TAB>line      for the lines of a block without any command (a file's content)
#   END                at the end of each block
# scdoc escapes (\x) are undone, and the installed samples folder is mapped to the
# source tree's.
example_records() {
    perl -e '
        my ($page, $samples) = @ARGV;
        open my $fh, "<", $page or die "$page: $!\n";
        my ($in_ex, $in_block, @block) = (0, 0);
        sub emit {
            my $cmds = grep { /^\$ / } @_;
            for (@_) {
                if (!$cmds) { print "TEXT\t$_\n" }
                elsif (/^\$ (.*)$/) { print "CMD\t$1\n" }
                else { print "OUT\t$_\n" }
            }
            print "END\n";
        }
        while (my $l = <$fh>) {
            chomp $l;
            if (!$in_block && $l =~ /^# /) { $in_ex = $l eq "# EXAMPLES"; next }
            next unless $in_ex;
            if ($l =~ /^\t*```\s*$/) {
                emit(@block) if $in_block;
                @block = ();
                $in_block = !$in_block;
                next;
            }
            next unless $in_block;
            $l =~ s/^\t//;
            $l =~ s/\\(.)/$1/g;
            $l =~ s{/usr/share/okxkit/samples}{$samples}g;
            push @block, $l;
        }
    ' "$1" "$SRC/share/okxkit/samples"
}

# Runs the "$ command" lines of a page's EXAMPLES in folder $2 (which holds a copy of
# the samples), in order, and checks that each exits 0 and prints exactly the lines shown
# under it. A command that needs a program missing here (jq, sqlite3, timeout) is skipped.
run_examples() {
    local page=$1 dir=$2
    local records=$BATS_TEST_TMPDIR/records.txt
    example_records "$page" >"$records"
    local ran=0 failed=0 cmd= expected= have_cmd=0 kind rest prog
    check() {
        ((have_cmd)) || return 0
        have_cmd=0
        for prog in jq sqlite3 timeout; do
            if [[ " $cmd " == *" $prog "* ]] && ! command -v "$prog" >/dev/null; then
                echo "# skipped (no $prog): $cmd" >&3
                return 0
            fi
        done
        local actual status=0
        actual=$(cd "$dir" && HOME=$dir/home PATH="$OKXKIT_BIN:$PATH" bash -c "$cmd" 2>"$dir/.stderr") ||
            status=$?
        ran=$((ran + 1))
        if [[ $status -ne 0 || "$actual" != "$expected" ]]; then
            failed=$((failed + 1))
            {
                echo "example of $(basename "$page") failed: \$ $cmd"
                echo "-- exit status: $status"
                echo "-- expected:"
                printf '%s\n' "$expected"
                echo "-- actual:"
                printf '%s\n' "$actual"
                echo "-- stderr:"
                cat "$dir/.stderr"
            } >&2
        fi
    }
    while IFS= read -r line; do
        kind=${line%%$'\t'*}
        rest=${line#*$'\t'}
        case $kind in
        CMD)
            check
            cmd=$rest expected= have_cmd=1
            ;;
        OUT)
            expected+=${expected:+$'\n'}$rest
            ;;
        END)
            check
            ;;
        esac
    done <"$records"
    check
    [[ $ran -gt 0 ]] || fail "no example ran from $page"
    [[ $failed -eq 0 ]] || fail "$failed of $ran examples of $(basename "$page") failed"
}

# A scratch folder holding a copy of the sample data.
sample_dir() {
    local dir=$BATS_TEST_TMPDIR/examples
    mkdir -p "$dir/home"
    cp "$SRC"/share/okxkit/samples/*.csv "$dir/"
    echo "$dir"
}

# The message kinds of lib/core/message.cpp (kKinds), one per line.
code_kinds() {
    sed -n '/kKinds{{/,/}};/p' "$SRC/lib/core/message.cpp" | grep -o '{"[a-z_]*", [0-9]' |
        sed 's/{"\([a-z_]*\)".*/\1/'
}

# The config keys of lib/core/config.cpp (kKeys) as "key type", one per line.
# "key type" of every config key the modules declare (core's in lib/core/config.cpp, the
# others' in lib/*/config_keys.cpp), type as okxkit-config(5) names it.
code_config_keys() {
    grep -ho '{"[a-z_.*]*", T::k[A-Za-z]*' "$SRC/lib/core/config.cpp" "$SRC"/lib/*/config_keys.cpp |
        sed 's/{"\([a-z_.*]*\)", T::k\([A-Za-z]*\)/\1 \2/' |
        sed 's/ Strings$/ strings/; s/ String$/ string/; s/ Integer$/ integer/; s/ Number$/ number/;
             s/ Boolean$/ boolean/; s/ Tables$/ tables/; s/ Table$/ table/'
}

# --- all pages -----------------------------------------------------------------------------

@test "man: scdoc accepts every page" {
    for page in "${PAGES[@]}"; do
        [[ -f $MAN/$page.scd ]] || fail "missing man/$page.scd"
        run scdoc <"$MAN/$page.scd"
        [[ $status -eq 0 ]] || fail "scdoc rejects man/$page.scd: $output"
        [[ $output == *".TH"* ]] || fail "scdoc wrote no page for man/$page.scd"
    done
}

@test "man: every page has the standard sections" {
    for page in "${PAGES[@]}"; do
        for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
            grep -qx "# $s" "$MAN/$page.scd" || fail "man/$page.scd has no section $s"
        done
    done
    for page in okx-stream.1 featurize.1 train.1 predict.1 select-strategy.1 risk-guard.1 execute.1 news.1; do
        for s in OPTIONS INPUT OUTPUT; do
            grep -qx "# $s" "$MAN/$page.scd" || fail "man/$page.scd has no section $s"
        done
    done
}

@test "man: every page documents every exit code" {
    for page in "${PAGES[@]}"; do
        run section "$MAN/$page.scd" "EXIT STATUS"
        for code in '*0*' '*1*' '*2*' '*3*' '*4*' '*5*' '*130*, *143*' '*141*'; do
            grep -qxF -- "$code" <<<"$output" || fail "man/$page.scd: EXIT STATUS lacks $code"
        done
    done
}

@test "man: the rendered pages are in the build tree" {
    [[ -n ${OKXKIT_BUILD_DIR:-} && -d $OKXKIT_BUILD_DIR/man ]] ||
        skip "no man folder in the build tree (OKXKIT_DOCS=OFF?)"
    for page in "${PAGES[@]}"; do
        [[ -s $OKXKIT_BUILD_DIR/man/$page ]] || fail "$OKXKIT_BUILD_DIR/man/$page was not built"
        grep -q '^\.TH' "$OKXKIT_BUILD_DIR/man/$page" || fail "$OKXKIT_BUILD_DIR/man/$page is not roff"
    done
}

@test "man: scripts/man shows every page from the build tree, and says which exist" {
    [[ -n ${OKXKIT_BUILD_DIR:-} && -d $OKXKIT_BUILD_DIR/man ]] ||
        skip "no man folder in the build tree (OKXKIT_DOCS=OFF?)"
    command -v man >/dev/null || skip "no man(1) on this machine"
    for page in "${PAGES[@]}"; do
        run env OKXKIT_BUILD="$OKXKIT_BUILD_DIR" MANPAGER=cat MANWIDTH=80 "$SRC/scripts/man" "${page%.*}"
        assert_success
        assert_line --index 0 --regexp "^${page%.*}\\(${page##*.}\\) +okxkit manual"
    done
    run env OKXKIT_BUILD="$OKXKIT_BUILD_DIR" "$SRC/scripts/man" okxkit.7
    assert_success
    run env OKXKIT_BUILD="$OKXKIT_BUILD_DIR" "$SRC/scripts/man" nope
    assert_failure 2
    assert_output --partial 'no page "nope"'
    assert_output --partial "okx-stream.1"
}

# --- okx-stream(1) -------------------------------------------------------------------------

# Checks that every option of TOOL --complete-options has an entry in OPTIONS of PAGE, headed
# the way the other entries are.
options_documented() { # TOOL PAGE [MIN]: MIN options at least (10), so a broken table shows
    local tool=$1 page=$2 min=${3:-10} name
    name=$(basename "$tool")
    run "$tool" --complete-options
    assert_success
    [[ -n $output ]] || fail "$name --complete-options printed nothing"
    local opts
    opts=$(section "$MAN/$page.scd" OPTIONS)
    local n=0 long short value
    while IFS= read -r line; do
        long=${line%%$'\t'*}
        line=${line#*$'\t'}
        short=${line%%$'\t'*}
        line=${line#*$'\t'}
        value=${line%%$'\t'*}
        n=$((n + 1))
        grep -qF -- "*$long*" <<<"$opts" || fail "OPTIONS of $page lacks *$long*"
        if [[ -n $short ]]; then
            grep -qxF -- "*$short*, *$long*${value:+ _${value}_}" <<<"$opts" ||
                fail "$page should head the entry of $long with '*$short*, *$long*'"
        elif [[ -n $value ]]; then
            grep -qE -- "^\*$long\* _${value}_(\.\.\.)?\$" <<<"$opts" ||
                fail "$page should head the entry of $long with '*$long* _${value}_'"
        else
            grep -qxF -- "*$long*" <<<"$opts" ||
                fail "$page should head the entry of $long with '*$long*'"
        fi
    done <<<"$output"
    [[ $n -ge $min ]] || fail "only $n options read from --complete-options"
}

# Checks that PAGE documents no option TOOL lacks.
no_extra_options() { # TOOL PAGE
    local tool=$1 page=$2
    run "$tool" --complete-options
    assert_success
    local known
    known=$(cut -f1,2 <<<"$output" | tr '\t' '\n' | grep .)
    local documented
    documented=$(section "$MAN/$page.scd" OPTIONS | grep '^\*-' |
        grep -o -- '\*--*[a-z][a-z-]*\*' | tr -d '*')
    [[ -n $documented ]] || fail "no option entries found in OPTIONS"
    for o in $documented; do
        grep -qxF -- "$o" <<<"$known" || fail "$page documents $o, which $(basename "$tool") lacks"
    done
}

@test "okx-stream(1): every option of --complete-options is documented" {
    options_documented "$STREAM" okx-stream.1
}

@test "okx-stream(1): documents no option the tool lacks" {
    no_extra_options "$STREAM" okx-stream.1
}

@test "okx-stream(1): NAME matches the tool's own summary" {
    run "$STREAM" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/okx-stream.1.scd" NAME
    assert_output --partial "$summary"
}

@test "okx-stream(1): the examples run and print what the page shows" {
    run_examples "$MAN/okx-stream.1.scd" "$(sample_dir)"
}

# --- featurize(1) --------------------------------------------------------------------------

@test "featurize(1): every option of --complete-options is documented" {
    options_documented "$FEATURIZE" featurize.1
}

@test "featurize(1): documents no option the tool lacks" {
    no_extra_options "$FEATURIZE" featurize.1
}

@test "featurize(1): NAME matches the tool's own summary" {
    run "$FEATURIZE" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/featurize.1.scd" NAME
    assert_output --partial "$summary"
}

@test "featurize(1): the feature table is the one featurize --list prints" {
    local want=$BATS_TEST_TMPDIR/want got=$BATS_TEST_TMPDIR/got
    "$FEATURIZE" --list | "$SRC/scripts/feature-table" >"$want"
    awk '/^; BEGIN GENERATED FEATURE TABLE/ { on = 1; next } /^; END GENERATED FEATURE TABLE/ { on = 0 } on' \
        "$MAN/featurize.1.scd" >"$got"
    [[ -s $got ]] || fail "no generated feature table in man/featurize.1.scd"
    diff -u "$want" "$got" ||
        fail "man/featurize.1.scd is out of date: run featurize --list | scripts/feature-table --update"
    # Every feature has its entry, and there are at least 215.
    run grep -c '^\*[a-z0-9_.]*\* (' "$got"
    [[ $output -ge 215 ]] || fail "only $output features in the table"
}

@test "featurize(1): the examples run and print what the page shows" {
    run_examples "$MAN/featurize.1.scd" "$(sample_dir)"
}

# --- train(1) and predict(1) ------------------------------------------------------------

@test "train(1): every option of --complete-options is documented" {
    options_documented "$TRAIN" train.1
}

@test "train(1): documents no option the tool lacks" {
    no_extra_options "$TRAIN" train.1
}

@test "train(1): NAME matches the tool's own summary, and the page has the crontab line" {
    run "$TRAIN" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/train.1.scd" NAME
    assert_output --partial "$summary"
    grep -qE '^[0-9*]+ [0-9*]+ \* \* \*  .*train --all --every 24h' "$MAN/train.1.scd" ||
        fail "train(1) has no crontab line"
}

@test "train(1): the examples run and print what the page shows" {
    run_examples "$MAN/train.1.scd" "$(sample_dir)"
}

@test "predict(1): every option of --complete-options is documented" {
    options_documented "$PREDICT" predict.1
}

@test "predict(1): documents no option the tool lacks" {
    no_extra_options "$PREDICT" predict.1
}

@test "predict(1): NAME matches the tool's own summary" {
    run "$PREDICT" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/predict.1.scd" NAME
    assert_output --partial "$summary"
}

@test "predict(1): the examples run and print what the page shows" {
    run_examples "$MAN/predict.1.scd" "$(sample_dir)"
}

# --- select-strategy(1) --------------------------------------------------------------------

@test "select-strategy(1): every option of --complete-options is documented" {
    options_documented "$SELECT" select-strategy.1
}

@test "select-strategy(1): documents no option the tool lacks" {
    no_extra_options "$SELECT" select-strategy.1
}

@test "select-strategy(1): NAME matches the tool's own summary" {
    run "$SELECT" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/select-strategy.1.scd" NAME
    assert_output --partial "$summary"
}

@test "select-strategy(1): STRATEGY FILES has every key of every kind, with the type, range and default of --schema" {
    command -v jq >/dev/null || skip "no jq on this machine"
    run "$SELECT" --schema
    assert_success
    local schema=$output
    run section "$MAN/select-strategy.1.scd" "STRATEGY FILES"
    local files=$output
    [[ -n $files ]] || fail "select-strategy(1) has no section STRATEGY FILES"
    local kind key entry entries n=0
    for kind in $(jq -r '.oneOf[].properties.kind.const' <<<"$schema"); do
        entries=$(awk -v want="## $kind" '/^## / { on = ($0 == want); next } on' <<<"$files")
        [[ -n $entries ]] || fail "STRATEGY FILES of select-strategy(1) has no subsection ## $kind"
        # The head of each key's entry, as the schema says it:
        #   *lookback* (integer, 10 to 100000; default 288)
        #   *spacing* (string, *arithmetic* or *geometric*; default *arithmetic*)
        while IFS= read -r entry; do
            n=$((n + 1))
            grep -qxF -- "$entry" <<<"$entries" ||
                fail "STRATEGY FILES, ## $kind: no entry headed '$entry'"
        done < <(jq -r --arg k "$kind" '.oneOf[] | select(.properties.kind.const == $k) |
            .properties | to_entries[] | select(.key != "kind" and .key != "name") |
            "*\(.key)* (\(if .value.type == "object" then "table" else .value.type end)" +
            (if .value.type == "object" then ""
             elif .value.type == "string" then ", " +
                (.value.enum | map("*" + . + "*") |
                 if length > 1 then (.[:-1] | join(", ")) + " or " + .[-1] else .[0] end) +
                "; default *\(.value.default)*"
             else ", \(.value.minimum) to \(.value.maximum); default \(.value.default)" end) + ")"' \
            <<<"$schema")
        # And no key the kind lacks.
        for key in $(grep -oE '^\*[a-z_]+\* \(' <<<"$entries" | tr -d '*( '); do
            jq -e --arg k "$kind" --arg key "$key" '.oneOf[] | select(.properties.kind.const == $k) |
                .properties | has($key)' <<<"$schema" >/dev/null ||
                fail "STRATEGY FILES, ## $kind documents $key, which the kind lacks"
        done
    done
    [[ $n -ge 30 ]] || fail "only $n strategy keys read from --schema"
}

@test "select-strategy(1): the examples run and print what the page shows" {
    run_examples "$MAN/select-strategy.1.scd" "$(sample_dir)"
}

# --- risk-guard(1) -------------------------------------------------------------------------

@test "risk-guard(1): every option of --complete-options is documented" {
    options_documented "$GUARD" risk-guard.1
}

@test "risk-guard(1): documents no option the tool lacks" {
    no_extra_options "$GUARD" risk-guard.1
}

@test "risk-guard(1): NAME matches the tool's own summary" {
    run "$GUARD" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/risk-guard.1.scd" NAME
    assert_output --partial "$summary"
}

@test "risk-guard(1): the examples run and print what the page shows" {
    run_examples "$MAN/risk-guard.1.scd" "$(sample_dir)"
}

# --- news(1) -------------------------------------------------------------------------------

@test "news(1): every option of --complete-options is documented" {
    options_documented "$NEWS" news.1
}

@test "news(1): documents no option the tool lacks" {
    no_extra_options "$NEWS" news.1
}

@test "news(1): NAME matches the tool's own summary" {
    run "$NEWS" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/news.1.scd" NAME
    assert_output --partial "$summary"
}

@test "news(1): the examples run and print what the page shows" {
    run_examples "$MAN/news.1.scd" "$(sample_dir)"
}

# --- okx-builder(1) ------------------------------------------------------------------------

@test "okx-builder(1): every option of --complete-options is documented" {
    options_documented "$BUILDER" okx-builder.1
}

@test "okx-builder(1): documents no option the tool lacks" {
    no_extra_options "$BUILDER" okx-builder.1
}

@test "okx-builder(1): NAME matches the tool's own summary" {
    run "$BUILDER" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/okx-builder.1.scd" NAME
    assert_output --partial "$summary"
}

@test "okx-builder(1): the examples run and print what the page shows" {
    run_examples "$MAN/okx-builder.1.scd" "$(sample_dir)"
}

# --- execute(1) ----------------------------------------------------------------------------

@test "execute(1): every option of --complete-options is documented" {
    options_documented "$EXECUTE" execute.1
}

@test "execute(1): documents no option the tool lacks" {
    no_extra_options "$EXECUTE" execute.1
}

@test "execute(1): NAME matches the tool's own summary" {
    run "$EXECUTE" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/execute.1.scd" NAME
    assert_output --partial "$summary"
}

@test "execute(1): the examples run and print what the page shows" {
    run_examples "$MAN/execute.1.scd" "$(sample_dir)"
}

# --- audit(1) ------------------------------------------------------------------------------

# A stand-in for one command of audit, for the helpers that take a tool: "audit COMMAND".
audit_command() { # COMMAND -> prints the path of an executable
    local f=$BATS_TEST_TMPDIR/audit-$1
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$AUDIT" "$1" >"$f"
    chmod +x "$f"
    echo "$f"
}

@test "audit(1): every option of every command's --complete-options is documented" {
    run "$AUDIT" --complete-commands
    assert_success
    local commands
    commands=$(cut -f1 <<<"$output")
    [[ $(wc -w <<<"$commands") -ge 2 ]] || fail "commands: $commands"
    for c in $commands; do
        options_documented "$(audit_command "$c")" audit.1 9
        grep -qx "## audit $c" "$MAN/audit.1.scd" || fail "audit.1 has no section '## audit $c'"
    done
}

@test "audit(1): documents no option the tool lacks" {
    local all=$BATS_TEST_TMPDIR/audit-all
    {
        echo '#!/bin/sh'
        for c in $("$AUDIT" --complete-commands | cut -f1); do
            echo "\"$AUDIT\" $c --complete-options"
        done
    } >"$all"
    chmod +x "$all"
    no_extra_options "$all" audit.1
}

@test "audit(1): NAME matches the tool's own summary, and SYNOPSIS names every command" {
    run "$AUDIT" --help
    assert_success
    local summary=${lines[0]}
    run section "$MAN/audit.1.scd" NAME
    assert_output --partial "$summary"
    run section "$MAN/audit.1.scd" SYNOPSIS
    for c in $("$AUDIT" --complete-commands | cut -f1); do
        assert_output --partial "*audit $c*"
    done
}

@test "audit(1): the examples run and print what the page shows" {
    run_examples "$MAN/audit.1.scd" "$(sample_dir)"
}

# --- okxkit-config(5) ----------------------------------------------------------------------

@test "okxkit-config(5): every config key is documented with its type" {
    run code_config_keys
    assert_success
    [[ -n $output ]] || fail "no keys found in lib/core/config.cpp and lib/*/config_keys.cpp"
    [[ ${#lines[@]} -ge 29 ]] || fail "only ${#lines[@]} keys read from the code"
    local keys
    # Keys with a user-chosen name in them are written *a.\*.b* (scdoc's escape).
    keys=$(section "$MAN/okxkit-config.5.scd" KEYS | sed 's/\\\*/*/g')
    while read -r key type; do
        [[ $type == strings ]] && type="array of strings"
        [[ $type == tables ]] && type="array of tables"
        grep -qxF -- "*$key* ($type)" <<<"$keys" ||
            fail "KEYS of okxkit-config(5) lacks the entry '*$key* ($type)'"
    done <<<"$output"
}

@test "okxkit-config(5): documents no key the code lacks" {
    run code_config_keys
    assert_success
    local known=$output
    local documented
    documented=$(section "$MAN/okxkit-config.5.scd" KEYS | grep -o '^\*[a-z_.]*\* (' | tr -d '*( ')
    [[ -n $documented ]] || fail "no key entries found in KEYS"
    for k in $documented; do
        grep -q "^$k " <<<"$known" || fail "okxkit-config(5) documents $k, which no module declares"
    done
}

@test "okxkit-config(5): the example file loads cleanly and the examples run" {
    local dir
    dir=$(sample_dir)
    example_records "$MAN/okxkit-config.5.scd" |
        awk -F'\t' '$1 == "END" && seen { exit } $1 == "TEXT" { seen = 1; print $2 }' \
            >"$dir/config.toml"
    [[ -s $dir/config.toml ]] || fail "no example file found under EXAMPLES"
    # Every key of the example is known, and every known key is in the example.
    run bash -c "cd '$dir' && HOME='$dir/home' '$STREAM' --config config.toml \
        --replay BTC-USDT_5m.csv --to 2021-04-01T00:05 --store try.db"
    assert_success
    refute_output --partial "warning"
    run code_config_keys
    while read -r key type; do
        local leaf=${key##*.}
        # A table is set by its header ([strategy.pin.BTC-USDT] sets strategy.pin).
        if [[ $type == table ]]; then
            grep -qE "^\[${key//./\\.}[].]" "$dir/config.toml" ||
                fail "the example file of okxkit-config(5) has no table $key"
            continue
        fi
        # An array of tables is set by its double-bracket headers ([[risk.ladder.tp]]).
        if [[ $type == tables ]]; then
            grep -qF "[[$key]]" "$dir/config.toml" ||
                fail "the example file of okxkit-config(5) has no [[$key]]"
            continue
        fi
        grep -qE "^(${key//./\\.}|$leaf) *=" "$dir/config.toml" ||
            fail "the example file of okxkit-config(5) does not set $key"
    done <<<"$output"
    rm -f "$dir/try.db"*
    run_examples "$MAN/okxkit-config.5.scd" "$dir"
}

# --- okxkit(7) -----------------------------------------------------------------------------

@test "okxkit(7): every message kind of the code is documented" {
    run code_kinds
    assert_success
    [[ -n $output ]] || fail "no kinds found in kKinds of lib/core/message.cpp"
    [[ ${#lines[@]} -ge 20 ]] || fail "only ${#lines[@]} kinds read from kKinds"
    for kind in "${lines[@]}"; do
        grep -qxF -- "## $kind" "$MAN/okxkit.7.scd" || fail "okxkit(7) has no section '## $kind'"
    done
}

@test "okxkit(7): fields, types, values and inst of every kind match the code" {
    run perl -e '
        my ($code_path, $man_path) = @ARGV;
        local $/;
        open my $c, "<", $code_path or die "$code_path: $!\n"; my $code = <$c>;
        open my $m, "<", $man_path or die "$man_path: $!\n"; my @man = split /\n/, <$m>;
        my %type = (S => "string", I => "integer", N => "number", B => "boolean",
                    A => "array", O => "object", X => "any");
        my %arrays;
        while ($code =~ /constexpr std::array (k\w+)\{(.*?)\};/sg) {
            my ($name, $body) = ($1, $2);
            my @fields;
            while ($body =~ /F\{"(\w+)",\s*([A-Z]),\s*(true|false)(?:,\s*(\{\}|"[^"]*"))?(?:,\s*(true|false))?\}/g) {
                my $allowed = defined $4 && $4 ne "{}" ? substr($4, 1, -1) : "";
                push @fields, { name => $1, type => $type{$2}, req => $3 eq "true",
                                allowed => $allowed, null => ($5 // "") eq "true" };
            }
            $arrays{$name} = \@fields;
        }
        my @errors;
        sub cell { my ($f) = @_;
            $f->{type} . ($f->{req} ? ($f->{null} ? " or null" : "") : ", optional") }
        # Rows of the table(s) in lines [from, to): name => [type cell, meaning].
        sub rows { my ($from, $to) = @_; my %r;
            for (my $i = $from; $i < $to; $i++) {
                next unless $man[$i] =~ /^\|  \*(\w+)\*$/;
                my $name = $1;
                my ($t) = ($man[$i + 1] // "") =~ /^:  (.*)$/;
                my ($mean) = ($man[$i + 2] // "") =~ /^:  (.*)$/;
                my $j = $i + 3;
                $mean .= " $man[$j++]" while $j < $to && $man[$j] =~ /^ /;
                $r{$name} = [$t // "", $mean // ""];
            }
            return %r;
        }
        my ($kinds) = $code =~ /kKinds\{\{(.*?)\}\};/s or die "no kKinds\n";
        my %documented;
        for (my $i = 0; $i < @man; $i++) { $documented{$1} = $i if $man[$i] =~ /^## (\w+)$/ }
        my $n = 0;
        while ($kinds =~ /\{"(\w+)",\s*(\d+),\s*(true|false),\s*(k\w+)\}/g) {
            my ($kind, $v, $inst, $arr) = ($1, $2, $3 eq "true", $4);
            $n++;
            my $start = $documented{$kind};
            if (!defined $start) { push @errors, "$kind: no section"; next }
            delete $documented{$kind};
            my $end = $start + 1;
            $end++ while $end < @man && $man[$end] !~ /^#/;
            my $text = join "\n", @man[$start .. $end - 1];
            my $want = "Version $v, *inst* " . ($inst ? "required" : "optional");
            push @errors, "$kind: should say \"$want\"" unless index($text, $want) >= 0;
            my %row = rows($start + 1, $end);
            my $fields = $arrays{$arr} or do { push @errors, "$kind: no array $arr in the code"; next };
            for my $f (@$fields) {
                my $r = delete $row{$f->{name}};
                if (!$r) { push @errors, "$kind: field $f->{name} is not documented"; next }
                push @errors, "$kind.$f->{name}: type is \"$r->[0]\", the code says \"" . cell($f) . "\""
                    unless $r->[0] eq cell($f);
                for my $value (split /\|/, $f->{allowed}) {
                    push @errors, "$kind.$f->{name}: value $value is not mentioned"
                        unless $r->[1] =~ /(^|[^\w])\Q$value\E([^\w]|$)/;
                }
            }
            push @errors, "$kind: documents field $_, which the code lacks" for sort keys %row;
        }
        push @errors, "section ## $_ is not a kind of the code" for sort keys %documented;
        push @errors, "only $n kinds read from kKinds" if $n < 20;
        # The fields common to every kind.
        my ($fmt_from) = grep { $man[$_] eq "# MESSAGE FORMAT" } 0 .. $#man;
        if (!defined $fmt_from) { push @errors, "no section MESSAGE FORMAT" }
        else {
            my $fmt_to = $fmt_from + 1;
            $fmt_to++ while $fmt_to < @man && $man[$fmt_to] !~ /^#/;
            my %row = rows($fmt_from + 1, $fmt_to);
            my @common = ({ name => "type", type => "string", req => 1 },
                          { name => "v", type => "integer", req => 1 },
                          { name => "ts", type => "integer", req => 1 },
                          { name => "inst", type => "string", req => 1 },
                          @{ $arrays{kCommon} || [] });
            push @errors, "kCommon not found in the code" unless $arrays{kCommon};
            for my $f (@common) {
                my $r = $row{$f->{name}};
                if (!$r) { push @errors, "common field $f->{name} is not documented"; next }
                push @errors, "common field $f->{name}: type is \"$r->[0]\", the code says \"" . cell($f) . "\""
                    unless $r->[0] eq cell($f);
            }
        }
        print "$_\n" for @errors;
        exit(@errors ? 1 : 0);
    ' "$SRC/lib/core/message.cpp" "$MAN/okxkit.7.scd"
    assert_success
}

@test "okxkit(7): the example messages cover every kind and pass okx-stream --strict unchanged" {
    local dir=$BATS_TEST_TMPDIR
    example_records "$MAN/okxkit.7.scd" | awk -F'\t' '$1 == "TEXT" && $2 ~ /^\{/ { print $2 }' \
        >"$dir/kinds.ndjson"
    [[ -s $dir/kinds.ndjson ]] || fail "no example messages under EXAMPLES"
    run code_kinds
    for kind in "${lines[@]}"; do
        grep -qF "{\"type\":\"$kind\"," "$dir/kinds.ndjson" ||
            fail "okxkit(7) EXAMPLES have no $kind message"
    done
    run "$STREAM" --replay "$dir/kinds.ndjson" --strict
    assert_success
    assert_output "$(cat "$dir/kinds.ndjson")"
}

@test "okxkit(7): the examples run" {
    run_examples "$MAN/okxkit.7.scd" "$(sample_dir)"
}

# --- completions ---------------------------------------------------------------------------

@test "completions: no option name is written into them" {
    run "$STREAM" --complete-options
    assert_success
    # --replay is named on purpose: it takes several files, which the table cannot say.
    for long in $(cut -f1 <<<"$output"); do
        [[ $long == --replay ]] && continue
        for f in okxkit.bash _okxkit okxkit.fish; do
            ! grep -qF -- "$long" "$SRC/completions/$f" ||
                fail "completions/$f names $long: it should come from --complete-options"
        done
    done
}

@test "bash completion: --rep completes to --replay" {
    PATH=$OKXKIT_BIN:$PATH
    source "$SRC/completions/okxkit.bash"
    COMP_WORDS=(okx-stream --rep)
    COMP_CWORD=1
    _okxkit_complete
    [[ " ${COMPREPLY[*]} " == *" --replay "* ]] || fail "COMPREPLY is (${COMPREPLY[*]})"
}

@test "bash completion: files for FILE values and after --replay, nothing for other values" {
    PATH=$OKXKIT_BIN:$PATH
    source "$SRC/completions/okxkit.bash"
    local d=$BATS_TEST_TMPDIR
    touch "$d/BTC-USDT_5m.csv" "$d/ETH-USDT_5m.csv" "$d/okxkit.toml"

    COMP_WORDS=(okx-stream --replay "$d/BT")
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "$d/BTC-USDT_5m.csv" ]] || fail "after --replay: (${COMPREPLY[*]})"

    COMP_WORDS=(okx-stream --replay "$d/BTC-USDT_5m.csv" "$d/ET")
    COMP_CWORD=3
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "$d/ETH-USDT_5m.csv" ]] || fail "second file: (${COMPREPLY[*]})"

    COMP_WORDS=(okx-stream --config "$d/okx")
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "$d/okxkit.toml" ]] || fail "--config FILE: (${COMPREPLY[*]})"

    COMP_WORDS=(okx-stream --replay "$d/BTC-USDT_5m.csv" --since "")
    COMP_CWORD=4
    _okxkit_complete
    [[ ${#COMPREPLY[@]} -eq 0 ]] || fail "--since TIME should offer nothing: (${COMPREPLY[*]})"

    COMP_WORDS=(okx-stream -v --qu)
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == --quiet ]] || fail "after a flag: (${COMPREPLY[*]})"
}

@test "bash completion: the values an option accepts (bars, formats, channels, policies)" {
    PATH=$OKXKIT_BIN:$PATH
    source "$SRC/completions/okxkit.bash"
    COMP_WORDS=(okx-stream --bar 1)
    COMP_CWORD=2
    _okxkit_complete
    [[ " ${COMPREPLY[*]} " == *" 1m "*" 1H "*" 1D "* ]] || fail "--bar 1: (${COMPREPLY[*]})"
    [[ " ${COMPREPLY[*]} " != *" 5m "* ]] || fail "--bar 1: (${COMPREPLY[*]})"
    COMP_WORDS=(featurize --format "")
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "array object" ]] || fail "--format: (${COMPREPLY[*]})"
    COMP_WORDS=(featurize --gap-policy m)
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == missing ]] || fail "--gap-policy m: (${COMPREPLY[*]})"
    # A comma-separated list: the name after the last comma.
    COMP_WORDS=(okx-stream --channels candle1m,tic)
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == candle1m,tickers ]] || fail "--channels: (${COMPREPLY[*]})"
}

@test "bash completion: model ids from the store for predict --model and train --show/--promote" {
    PATH=$OKXKIT_BIN:$PATH
    source "$SRC/completions/okxkit.bash"
    local t=$BATS_TEST_TMPDIR
    okx-stream --replay "$SRC/share/okxkit/samples/BTC-USDT_5m.csv" --to 2021-04-01T01:00Z \
        --store "$t/s.db" >/dev/null
    for id in 3 12; do
        sqlite3 "$t/s.db" "INSERT INTO models(id, inst, bar, horizon, threshold, schema, features,
            train_from, train_to, valid_from, valid_to, test_from, test_to, data_end, created_ms,
            params, metrics, importance, drift, dir, status)
            VALUES($id, 'BTC-USDT', '5m', 12, 0, 'x', 1, 0, 0, 0, 0, 0, 0, 0, 0, '{}', '{}', '{}',
            '{}', 'm', 'candidate')"
    done
    export OKXKIT_STORE=$t/s.db
    COMP_WORDS=(predict --model "")
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "3 12" ]] || fail "predict --model: (${COMPREPLY[*]})"
    COMP_WORDS=(train --promote 1)
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "12" ]] || fail "train --promote 1: (${COMPREPLY[*]})"
    # No store: nothing offered, and none created.
    export OKXKIT_STORE=$t/none.db
    COMP_WORDS=(train --show "")
    _okxkit_complete
    [[ -z ${COMPREPLY[*]} ]] || fail "train --show: (${COMPREPLY[*]})"
    [[ ! -e $t/none.db ]]
}

@test "bash completion: a tool's commands, then that command's options and files" {
    PATH=$OKXKIT_BIN:$PATH
    source "$SRC/completions/okxkit.bash"
    local d=$BATS_TEST_TMPDIR
    mkdir -p "$d/backups"
    COMP_WORDS=(audit "")
    COMP_CWORD=1
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "health report backup restore reconcile gaps metrics" ]] || fail "audit: (${COMPREPLY[*]})"
    COMP_WORDS=(audit backup --ke)
    COMP_CWORD=2
    _okxkit_complete
    [[ ${COMPREPLY[*]} == --keep ]] || fail "audit backup --ke: (${COMPREPLY[*]})"
    COMP_WORDS=(audit restore --fo)
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "--force --format" ]] || fail "audit restore --fo: (${COMPREPLY[*]})"
    COMP_WORDS=(audit backup "$d/back")
    _okxkit_complete
    [[ ${COMPREPLY[*]} == "$d/backups" ]] || fail "audit backup DIR: (${COMPREPLY[*]})"
}

@test "bash completion: registered for every okxkit tool" {
    source "$SRC/completions/okxkit.bash"
    for tool in okx-stream featurize train predict select-strategy risk-guard execute audit news \
        okx-builder; do
        run complete -p "$tool"
        assert_success
        assert_output --partial "_okxkit_complete"
    done
}

@test "zsh completion: parses and builds _arguments specs from --complete-options" {
    command -v zsh >/dev/null || skip "zsh is not installed"
    run zsh -n "$SRC/completions/_okxkit"
    assert_success
    head -n 1 "$SRC/completions/_okxkit" | grep -q '^#compdef okx-stream ' ||
        fail "_okxkit must start with '#compdef okx-stream ...'"
    # Stand-ins for the completion system: print the specs instead of completing.
    run zsh -f -c '
        PATH=$1:$PATH
        _call_program() { shift; eval "$@"; }
        _arguments() { print -rl -- "$@"; }
        words=(okx-stream --rep)
        source $2' zsh "$OKXKIT_BIN" "$SRC/completions/_okxkit"
    assert_success
    assert_line '*--replay[replay recorded candles (CSV, NDJSON, freqtrade JSON) or a tape from FILEs (- is stdin)]:FILE:_files'
    assert_line '*:file:_files'
    assert_line --regexp '^\*-h\[show this help and exit\]$'
}

@test "zsh completion: a tool's commands, then that command's options" {
    command -v zsh >/dev/null || skip "zsh is not installed"
    run zsh -f -c '
        PATH=$1:$PATH
        _call_program() { shift; eval "$@"; }
        _describe() { print -rl -- "${(@P)2}"; }
        _arguments() { print -rl -- "$@"; }
        words=(audit "") CURRENT=2
        source $2
        print -- ---
        words=(audit backup --ke) CURRENT=3
        source $2' zsh "$OKXKIT_BIN" "$SRC/completions/_okxkit"
    assert_success
    assert_line --regexp '^backup:a verified copy'
    assert_line --regexp '^restore:'
    assert_line --regexp '^\*--keep\[copies kept in DIR'
    assert_line '*:file:_files'
}

@test "fish completion: a tool's commands, then that command's options" {
    command -v fish >/dev/null || skip "fish is not installed"
    run fish --no-config -c "set PATH $OKXKIT_BIN \$PATH; source $SRC/completions/okxkit.fish; complete -C 'audit '; echo ---; complete -C 'audit backup --ke'"
    assert_success
    assert_line --regexp $'^backup\t'
    assert_line --regexp '^--keep'
    run fish --no-config -c "set PATH $OKXKIT_BIN \$PATH; source $SRC/completions/okxkit.fish; complete -C 'audit restore --ke'"
    refute_output --partial -- '--keep'
}

@test "fish completion: parses and registers the options of okx-stream" {
    command -v fish >/dev/null || skip "fish is not installed"
    run fish --no-execute "$SRC/completions/okxkit.fish"
    assert_success
    run fish --no-config -c "set PATH $OKXKIT_BIN \$PATH; source $SRC/completions/okxkit.fish; complete -C 'okx-stream --rep'"
    assert_success
    assert_output --partial "--replay"
}
