# bash completion for the okxkit tools. Generic: each tool describes its own options with
# `TOOL --complete-options` (one line per option: --long<TAB>-s<TAB>VALUE<TAB>help<TAB>values,
# values being the ones the option accepts, if it has a list), so a new option or a new tool
# needs no change here beyond the tool list.

# The tools completed by this file (those not installed yet are skipped at TAB time).
_okxkit_tools=(okx-stream featurize train predict select-strategy risk-guard execute audit news okx-builder)

# Options that take several files in one go (`--replay a.csv b.csv`): after one of them,
# every word that does not start with '-' is completed as a file.
_okxkit_multi_file_options=(--replay)

# True when a VALUE name from --complete-options stands for a path.
_okxkit_is_path_value() {
    case $1 in
    FILE* | PATH* | DIR* | *FILE | *PATH | *DIR) return 0 ;;
    esac
    return 1
}

_okxkit_complete() {
    COMPREPLY=()
    local tool=${COMP_WORDS[0]}
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=
    if ((COMP_CWORD > 0)); then prev=${COMP_WORDS[COMP_CWORD - 1]}; fi

    # A tool made of commands (`audit backup DIR`) lists them with --complete-commands: the
    # first word is one of them, and the options are the command's own. The argument a command
    # takes without an option (a folder, a file) is completed as a file.
    local commands command=
    commands=$("$tool" --complete-commands 2>/dev/null) || commands=
    if [[ -n $commands ]]; then
        if ((COMP_CWORD == 1)); then
            mapfile -t COMPREPLY < <(compgen -W "$(cut -f1 <<<"$commands")" -- "$cur")
            return 0
        fi
        command=${COMP_WORDS[1]}
    fi

    local spec
    spec=$("$tool" ${command:+"$command"} --complete-options 2>/dev/null) || return 0
    [[ -n $spec ]] || return 0

    # The option table: long and short names, and the VALUE each takes.
    local -a names=()
    local -A value_of=() values_of=()
    local line long short value values rest
    while IFS= read -r line; do
        # Split by hand: read would merge the empty fields between two tabs.
        long=${line%%$'\t'*}
        rest=${line#*$'\t'}
        short=${rest%%$'\t'*}
        rest=${rest#*$'\t'}
        value=${rest%%$'\t'*}
        rest=${rest#*$'\t'}
        values=
        [[ $rest == *$'\t'* ]] && values=${rest#*$'\t'}
        [[ $long == --* && $line == *$'\t'*$'\t'*$'\t'* ]] || continue
        names+=("$long")
        value_of[$long]=$value
        values_of[$long]=$values
        if [[ -n $short ]]; then
            names+=("$short")
            value_of[$short]=$value
            values_of[$short]=$values
        fi
    done <<<"$spec"

    # bash splits "--opt=value" into "--opt" "=" "value": find the option a value belongs to.
    local opt= prefix=
    if [[ $cur == = ]]; then
        opt=$prev
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        prefix=${opt}=
        cur=${cur#*=}
    else
        opt=$prev
    fi

    # The value of an option that takes one: its listed values, or files for a path.
    if [[ -n $opt && -n ${value_of[$opt]+set} && -n ${value_of[$opt]} ]]; then
        if [[ -n ${values_of[$opt]} ]]; then
            # A list such as "candle1m,tic": complete the last name after the comma.
            local done_part=
            if [[ $cur == *,* ]]; then
                done_part=${cur%,*},
                cur=${cur##*,}
            fi
            mapfile -t COMPREPLY < <(compgen -W "${values_of[$opt]}" -- "$cur")
            [[ -z $done_part$prefix ]] || COMPREPLY=("${COMPREPLY[@]/#/$prefix$done_part}")
        elif _okxkit_is_path_value "${value_of[$opt]}"; then
            compopt -o filenames 2>/dev/null || true
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            [[ -z $prefix ]] || COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        fi
        return 0
    fi

    # Further files after an option that takes several.
    if [[ $cur != -* ]]; then
        local i word m
        for ((i = COMP_CWORD - 1; i > 0; i--)); do
            word=${COMP_WORDS[i]}
            [[ $word == -* ]] || continue
            for m in "${_okxkit_multi_file_options[@]}"; do
                if [[ $word == "$m" ]]; then
                    compopt -o filenames 2>/dev/null || true
                    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                    return 0
                fi
            done
            break
        done
    fi

    # A command's argument.
    if [[ -n $command && $cur != -* ]]; then
        compopt -o filenames 2>/dev/null || true
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0
    fi

    # Option names.
    if [[ -z $cur || $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
    fi
    return 0
}

complete -F _okxkit_complete "${_okxkit_tools[@]}"
