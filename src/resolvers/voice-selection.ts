// Which of a voice's columns a catalog read needs, from the operation's
// selection: "brief" when every Voice field it reads (through any alias,
// fragment or inline fragment) is one a brief read fills, else "all". The
// service then leaves the long texts, tags and timestamps out of the SQL
// (sql/statement.ts). Anything this does not recognise asks for "all".
import { type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import { BRIEF_VOICE_FIELDS, type VoiceColumns } from "../services/catalog/sql/statement.js";

type Fragments = GraphQLResolveInfo["fragments"];
type Info = Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">;

/**
 * Decided once per field of a document: Apollo keeps the parsed document of a
 * query it has seen, so the field's node (and the fragments of its document)
 * are the same objects on every request that sends it. @skip and @include
 * are not read (a skipped field counts as read), so variables cannot change
 * the decision.
 */
const decided = new WeakMap<FieldNode, VoiceColumns>();
function once(info: Info, decide: (info: Info) => VoiceColumns): VoiceColumns {
  const [field] = info.fieldNodes;
  if (!field) return "all";
  let columns = decided.get(field);
  if (!columns) decided.set(field, (columns = decide(info)));
  return columns;
}

/** For `voice(...)`: the fields selected on the voice itself. */
export const voiceColumnsOf = (info: Info): VoiceColumns => once(info, voiceColumns);

/** For `voices(...)`: the fields selected under `nodes` and `edges { node }`. */
export const pageColumnsOf = (info: Info): VoiceColumns => once(info, pageColumns);

function voiceColumns(info: Info): VoiceColumns {
  return briefEnough(
    info.fieldNodes.map((node) => node.selectionSet),
    info.fragments,
  );
}

function pageColumns(info: Info): VoiceColumns {
  const voices: Array<SelectionSetNode | undefined> = [];
  for (const connection of info.fieldNodes) {
    for (const field of fieldsOf(connection.selectionSet, info.fragments)) {
      if (field === "unknown") return "all";
      if (field.name.value === "nodes") voices.push(field.selectionSet);
      if (field.name.value !== "edges") continue;
      for (const edgeField of fieldsOf(field.selectionSet, info.fragments)) {
        if (edgeField === "unknown") return "all";
        if (edgeField.name.value === "node") voices.push(edgeField.selectionSet);
      }
    }
  }
  return briefEnough(voices, info.fragments);
}

function briefEnough(selections: Array<SelectionSetNode | undefined>, fragments: Fragments): VoiceColumns {
  for (const selection of selections) {
    for (const field of fieldsOf(selection, fragments)) {
      if (field === "unknown" || !(field.name.value === "__typename" || BRIEF_VOICE_FIELDS.has(field.name.value))) {
        return "all";
      }
    }
  }
  return "brief";
}

/** Every field of a selection set, through fragments; "unknown" for a fragment the document does not define. */
function* fieldsOf(
  selectionSet: SelectionSetNode | undefined,
  fragments: Fragments,
  seen: Set<FragmentDefinitionNode> = new Set(),
): Generator<FieldNode | "unknown"> {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) yield selection;
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* fieldsOf(selection.selectionSet, fragments, seen);
    else {
      const fragment = fragments[selection.name.value];
      if (!fragment) yield "unknown";
      else if (!seen.has(fragment)) {
        // Validation refuses fragment cycles; this only keeps a hostile document from looping here.
        seen.add(fragment);
        yield* fieldsOf(fragment.selectionSet, fragments, seen);
      }
    }
  }
}
