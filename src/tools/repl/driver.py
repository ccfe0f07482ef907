# claw-tui's REPL driver for Python: reads one JSON string of code per line from fd 3, runs
# it in one namespace kept across calls (the value of a last expression printed as the
# interactive interpreter prints it), then marks the end on stdout and on stderr.
import ast
import json
import os
import sys
import traceback

_nonce = os.environ.pop("CLAW_REPL_NONCE", "")
os.environ.pop("CLAW_REPL_DRIVER", None)
os.set_inheritable(3, False)
_frames = os.fdopen(3, "r", encoding="utf-8")
_namespace = {"__name__": "__main__", "__builtins__": __builtins__}


def _run(code):
    try:
        tree = ast.parse(code, "<repl>", "exec")
    except SyntaxError:
        traceback.print_exc(limit=0)
        return 1
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    try:
        exec(compile(tree, "<repl>", "exec"), _namespace)
        if last is not None:
            value = eval(compile(last, "<repl>", "eval"), _namespace)
            if value is not None:
                print(repr(value))
        return 0
    except SystemExit as e:
        print(f"SystemExit: {e.code} (the REPL keeps running)", file=sys.stderr)
        return e.code if isinstance(e.code, int) else 1
    except BaseException as e:
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        return 1


for _line in _frames:
    _status = _run(json.loads(_line))
    for _stream in (sys.stdout, sys.stderr):
        _stream.flush()
        _stream.write(f"\n{_nonce} {_status}\n")
        _stream.flush()
