// claw-tui's REPL driver for Node: reads one JSON string of code per line from fd 3, runs it
// in the global context kept across calls (a promise it ends with is awaited, the value shown
// as Node's REPL shows it), then marks the end on stdout and on stderr.
"use strict";
const fs = require("fs");
const readline = require("readline");
const util = require("util");
const vm = require("vm");

const nonce = process.env.CLAW_REPL_NONCE || "";
delete process.env.CLAW_REPL_NONCE;
delete process.env.CLAW_REPL_DRIVER;
globalThis.require = require;
process.on("uncaughtException", (e) => console.error(e && e.stack ? e.stack : String(e)));
process.on("unhandledRejection", (e) => console.error(e && e.stack ? e.stack : String(e)));

const lines = readline.createInterface({ input: fs.createReadStream(null, { fd: 3 }), crlfDelay: Infinity });
(async () => {
  for await (const line of lines) {
    let status = 0;
    try {
      let value = vm.runInThisContext(JSON.parse(line), { filename: "repl" });
      if (value && typeof value.then === "function") value = await value;
      if (value !== undefined) console.log(util.inspect(value, { colors: false }));
    } catch (e) {
      console.error(e && e.stack ? e.stack : String(e));
      status = 1;
    }
    process.stdout.write(`\n${nonce} ${status}\n`);
    process.stderr.write(`\n${nonce} ${status}\n`);
  }
})();
