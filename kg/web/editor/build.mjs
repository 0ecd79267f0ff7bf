// Bundles src/sparql-editor.js and its npm dependencies into one minified file
// under kg/web/static/vendor/, and writes the licences of what went into it.
// Run: npm ci && npm run build   (or ./build.sh)
import { build } from "esbuild";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const outdir = "../static/vendor";
const result = await build({
  entryPoints: ["src/sparql-editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(outdir, "sparql-editor.js"),
  metafile: true,
  legalComments: "none",
  banner: { js: "/* ipkg SPARQL editor: CodeMirror 6 (MIT) bundled by kg/web/editor; licences in sparql-editor.LICENSES.txt */" },
});

const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [...packages].sort().map((name) => {
  const dir = join("node_modules", name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licenceFile = ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE"].map((f) => join(dir, f)).find(existsSync);
  const text = licenceFile ? readFileSync(licenceFile, "utf8").trim() : `(${meta.license}; no licence file in the package)`;
  return `${name} ${meta.version} — ${meta.license}\n\n${text}\n`;
});
writeFileSync(
  join(outdir, "sparql-editor.LICENSES.txt"),
  "Third-party code bundled into sparql-editor.js\n\n" + sections.join("\n" + "-".repeat(72) + "\n\n"),
);
console.log(`built ${join(outdir, "sparql-editor.js")} from ${packages.size} packages`);
