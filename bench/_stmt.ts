import { facetsStatement } from "../src/services/catalog/sql/facets.js";
import { parseFilter } from "../src/services/catalog/voice-filter.js";
const filter = JSON.parse(process.argv[2] ?? "{}");
const s = facetsStatement(parseFilter(filter), 10, 2000);
// inline parameters for psql
let text = s.text;
s.values.forEach((v, i) => {
  const lit = Array.isArray(v) ? `'{${v.map((x) => JSON.stringify(x)).join(",")}}'` : typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
  text = text.replace(new RegExp(`\\$${i + 1}(?![0-9])`, "g"), lit);
});
console.log(text + ";");
