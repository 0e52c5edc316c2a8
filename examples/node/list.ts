// Lists the catalog's voices that match a filter, newest first, a page at a
// time: each page's `pageInfo.endCursor` is passed as `after` for the next.
//
//   node --import tsx examples/node/list.ts --language ar --dialect najdi
//   node --import tsx examples/node/list.ts --search layla --page-size 5 --pages 2
//
// On an error, prints its `extensions.code` and message, and exits 1.
import { parseArgs } from "node:util";
import { gatewayClient, run } from "./gateway.js";
import { graphql } from "./gql/index.js";
import type { VoiceFilter } from "./gql/graphql.js";

const Voices = graphql(`
  query Voices($filter: VoiceFilter, $first: Int, $after: String) {
    voices(filter: $filter, first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          voiceId
          name
          gender
          languages
          dialects
          tags
          createdAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const { values: options } = parseArgs({
  options: {
    language: { type: "string" },
    dialect: { type: "string" },
    gender: { type: "string" },
    tag: { type: "string", multiple: true },
    search: { type: "string" },
    "page-size": { type: "string", default: "20" },
    // Stop after this many pages (default: every page).
    pages: { type: "string" },
  },
});

const filter: VoiceFilter = {
  language: options.language,
  dialect: options.dialect,
  gender: options.gender,
  tags: options.tag,
  search: options.search,
};
const maxPages = options.pages === undefined ? Infinity : Number(options.pages);

await run(async () => {
  const client = gatewayClient();
  let after: string | null | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const { data } = await client.query({
      query: Voices,
      variables: { filter, first: Number(options["page-size"]), after },
      // Each page straight from the gateway: this script reads every page once.
      fetchPolicy: "no-cache",
    });
    if (!data) throw new Error("The gateway answered no data");
    const { voices } = data;
    if (page === 1) console.log(`${voices.totalCount} voices match ${JSON.stringify(filter)}`);
    if (voices.edges.length === 0) return;
    console.log(`Page ${page}:`);
    for (const { node } of voices.edges) {
      const codes = [node.gender, node.languages.join(","), node.dialects.join(",")].filter(Boolean).join(" ") || "-";
      console.log(`  ${node.name} (${codes})  voiceId ${node.voiceId}  created ${node.createdAt}`);
    }
    if (!voices.pageInfo.hasNextPage) return;
    after = voices.pageInfo.endCursor;
  }
});
