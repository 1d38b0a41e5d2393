/**
 * The shell script a Procfile command runs as: `/bin/sh -c SCRIPT`, with
 * stderr merged into stdout (one pipe keeps their order) and, where it is
 * safe, `exec` in front of the command.
 *
 * Why `exec`: dash, Debian's and Ubuntu's `/bin/sh`, forks even a lone
 * simple command of `sh -c` and waits for it. The shell, not the program,
 * would then be the process tend watches and the first to die on SIGTERM,
 * so a program that traps SIGTERM and exits 0 would be reported as killed.
 * With `exec` the program replaces the shell, gets the signals itself and
 * reports its own status, as under foreman (Ruby execs a command without
 * shell syntax directly). Anything more than one simple command (a list, a
 * pipe, a background job, a subshell, a substitution outside quotes) or a
 * command that is a shell builtin or keyword runs unchanged: `exec` would
 * change its meaning.
 *
 * @module
 */

// dash's builtins and the POSIX reserved words: `exec` would run the
// program of that name from PATH (/bin/echo treats "\n" differently) or
// fail. Quoting a builtin's name does not stop the shell finding it.
const _BUILTINS = new Set(
  (". : [ alias bg break cd chdir command continue echo eval exec exit " +
    "export false fc fg getopts hash jobs kill local printf pwd read " +
    "readonly return set shift test times trap true type ulimit umask " +
    "unalias unset wait ! { } case do done elif else esac fi for if in " +
    "then until while [[ ]] function select time").split(" "),
);

/** Characters that make a command more than one simple command. */
const _OPERATORS = ";&|()`\n";

/**
 * Where `exec ` can go in `command`: the index of its command word, or -1
 * when the command must run unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { execPoint } from "./_shell.ts";
 * assert.equal(execPoint("python app.py"), 0);
 * assert.equal(execPoint("A=1 B='x y' ./serve --port $PORT"), 12);
 * assert.equal(execPoint("./worker > /dev/null 2>&1"), 0);
 * assert.equal(execPoint("cd web && npm start"), -1);
 * assert.equal(execPoint("echo hi"), -1);
 * ```
 */
export function execPoint(command: string): number {
  const n = command.length;
  let i = 0;
  for (;;) {
    while (i < n && (command[i] === " " || command[i] === "\t")) i++;
    if (i >= n || command[i] === "#") return -1;
    const start = i;
    let text = "";
    while (i < n && command[i] !== " " && command[i] !== "\t") {
      const c = command[i];
      if (_OPERATORS.includes(c)) return -1;
      if (c === "\\") {
        if (i + 1 >= n) return -1;
        text += command[i + 1];
        i += 2;
      } else if (c === "'" || c === '"') {
        let j = i + 1;
        while (j < n && command[j] !== c) {
          j += c === '"' && command[j] === "\\" ? 2 : 1;
        }
        if (j >= n) return -1;
        text += command.slice(i + 1, j);
        i = j + 1;
      } else {
        text += c;
        i++;
      }
    }
    const raw = command.slice(start, i);
    // Leading assignments stay in front: `A=1 exec prog` exports A.
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(raw)) continue;
    if (/^[0-9]*[<>]/.test(raw) || text === "" || _BUILTINS.has(text)) {
      return -1;
    }
    // Nothing after the command word may be shell syntax either.
    for (let k = i; k < n; k++) {
      const c = command[k];
      if (c === "'" || c === '"') {
        let j = k + 1;
        while (j < n && command[j] !== c) {
          j += c === '"' && command[j] === "\\" ? 2 : 1;
        }
        if (j >= n) return -1;
        k = j;
      } else if (c === "\\") {
        k++;
      } else if (
        c === "#" && (command[k - 1] === " " || command[k - 1] === "\t")
      ) {
        break;
      } else if (_OPERATORS.includes(c) && !_inRedirection(command, k)) {
        return -1;
      }
    }
    return start;
  }
}

/** `&` in `2>&1` and `|` in `>|` belong to a redirection, not a list or pipe. */
function _inRedirection(command: string, at: number): boolean {
  const c = command[at];
  const before = command[at - 1];
  return (c === "&" && (before === ">" || before === "<")) ||
    (c === "|" && before === ">");
}

/**
 * The `sh -c` script for a Procfile command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellScript } from "./_shell.ts";
 * assert.equal(shellScript("python app.py"), "exec 2>&1\nexec python app.py");
 * assert.equal(shellScript("a && b"), "exec 2>&1\na && b");
 * ```
 */
export function shellScript(command: string): string {
  const at = execPoint(command);
  return at === -1
    ? `exec 2>&1\n${command}`
    : `exec 2>&1\n${command.slice(0, at)}exec ${command.slice(at)}`;
}
