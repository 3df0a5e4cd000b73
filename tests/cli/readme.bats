#!/usr/bin/env bats
# The README's examples run as written: every command line of the ```sh blocks of its "A
# pipeline" section (set-up and building have their own CI steps), in order, in one folder (so later lines see what earlier ones stored), except those tagged [network],
# [placeholder], [planned] or [slow: N min]. A "# NUMBER" comment is the output it must print.

bats_require_minimum_version 1.5.0
load helpers

# The commands of the README's sh blocks, one per line ("|" at the end of a line continues it),
# without the ones that cannot run here.
readme_commands() {
    awk '
        /^## / { section = $0 }
        section != "## A pipeline" { next }
        /^```sh$/ { inside = 1; next }
        /^```$/ { inside = 0; next }
        !inside || /^[[:space:]]*(#|$)/ { next }
        {
            line = pending $0
            if (line ~ /\|[[:space:]]*$/) { pending = line " "; next }
            pending = ""
            if (line ~ /\[(network|placeholder|planned)\]/ || line ~ /\[slow: [0-9]+ min\]/) next
            print line
        }' "$OKXKIT_SOURCE_DIR/README.md"
}

@test "README: the examples run as written and print what their comments say" {
    cd "$BATS_TEST_TMPDIR"
    ln -s "$OKXKIT_SOURCE_DIR/share" share
    local n=0 cmd want
    while IFS= read -r cmd; do
        n=$((n + 1))
        run --separate-stderr bash -o pipefail -c "$cmd"
        # A pipeline ending in head may see its writers die of SIGPIPE (141): that is fine.
        if [[ $status -ne 0 && ! ($status -eq 141 && $cmd == *"| head"*) ]]; then
            fail "exit $status: $cmd"$'\n'"$stderr"
        fi
        if [[ $cmd =~ \#\ ([0-9]+)(,|$) ]]; then
            want=${BASH_REMATCH[1]}
            [[ $output == "$want" ]] || fail "printed $output, the README says $want: $cmd"
        fi
    done < <(readme_commands)
    [ "$n" -ge 8 ] || fail "only $n commands found in README.md"
}
