# fish completion for the okxkit tools. Generic: each tool describes its own options with
# `TOOL --complete-options` (one line per option: --long<TAB>-s<TAB>VALUE<TAB>help<TAB>values),
# read
# here when fish loads this file, so a new option needs no change here; a new tool only
# needs adding to the list below.

set -g __okxkit_tools okx-stream featurize train predict select-strategy risk-guard execute audit news okx-builder

function __okxkit_register --argument-names tool
    command -q $tool; or return 0
    # A tool made of commands (`audit backup DIR`): the commands first, then each one's
    # options, offered once that command is on the line.
    set -l commands (command $tool --complete-commands 2>/dev/null)
    if test (count $commands) -gt 0
        for line in $commands
            set -l field (string split \t -- $line)
            complete -c $tool -f -n __fish_use_subcommand -a $field[1] -d "$field[2]"
            __okxkit_register_options $tool $field[1]
        end
        return 0
    end
    __okxkit_register_options $tool ''
end

function __okxkit_register_options --argument-names tool command
    set -l ask $tool
    set -l when
    if test -n "$command"
        set ask $tool $command
        set when -n "__fish_seen_subcommand_from $command"
    end
    for line in (command $ask --complete-options 2>/dev/null)
        # string split keeps the empty fields between two tabs.
        set -l field (string split \t -- $line)
        test (count $field) -ge 4; or continue
        string match -q -- '--*' $field[1]; or continue

        set -l spec -c $tool $when -l (string replace -r -- '^--' '' $field[1])
        if test -n "$field[2]"
            set -a spec -s (string replace -r -- '^-' '' $field[2])
        end
        if test -n "$field[3]"; and test (count $field) -ge 5; and test -n "$field[5]"
            # A list of accepted values: offer them.
            set -a spec -x -a "$field[5]"
        else if test -n "$field[3]"
            if string match -q -r -- '^(FILE|PATH|DIR)|(FILE|PATH|DIR)$' $field[3]
                # A path: complete files.
                set -a spec -r -F
            else
                # Some other value: nothing to offer but the description.
                set -a spec -x
            end
        end
        complete $spec -d "$field[4]"
    end
    # Words that are not options are files (`--replay a.csv b.csv`), fish's default.
end

for tool in $__okxkit_tools
    __okxkit_register $tool
end
