# claw-tui's REPL driver for bash: reads one line of code per call from fd 3 (newlines and
# backslashes escaped, undone by printf %b), runs it in this shell (so variables, functions
# and the working directory are kept), then marks the end on stdout and on stderr.
__claw_nonce=$CLAW_REPL_NONCE
unset CLAW_REPL_NONCE CLAW_REPL_DRIVER
while IFS= read -r -u 3 __claw_line; do
  printf -v __claw_code '%b' "$__claw_line"
  eval "$__claw_code" </dev/null 3<&-
  __claw_status=$?
  printf '\n%s %d\n' "$__claw_nonce" "$__claw_status"
  printf '\n%s %d\n' "$__claw_nonce" "$__claw_status" >&2
done
