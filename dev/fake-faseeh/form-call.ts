// The start every multipart call (a clone, a preview) shares: another method is
// answered 405; otherwise the call takes its next scripted answer as its
// headers arrive, counts in inFlight, and has its form read and recorded.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakePreviewBehaviour } from "./behaviours.js";
import { resetSocket, sendJson } from "./http-answers.js";
import { bodilessRequest, drain, receiveMultipart, type ParsedBody, type ReceivedCloneRequest } from "./multipart-reader.js";
import { countInFlight, type FakeState } from "./state.js";

/** Where a call's requests are recorded, and its next scripted answer. */
export interface FormCall<B extends FakePreviewBehaviour> {
  recorded: ReceivedCloneRequest[];
  next(): B;
}

/**
 * Receives a multipart call up to its answer. Resolves with the scripted
 * answer and the form, or undefined when nothing is left to answer: the 405
 * was sent, the connection was reset before the body, or the client went away
 * mid-body.
 */
export async function receiveFormCall<B extends FakePreviewBehaviour>(
  state: FakeState,
  call: FormCall<B>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ behaviour: B; received: ParsedBody } | undefined> {
  if (req.method !== "POST") {
    const drained = await drain(req);
    call.recorded.push(bodilessRequest(req, !drained));
    sendJson(res, 405, { errorCode: "40501", errorMessage: `Method not allowed: ${req.method ?? "?"}` });
    return undefined;
  }

  // Taken at arrival (not after the body) so overlapping requests get
  // behaviours in the order they were sent.
  const behaviour = call.next();
  countInFlight(state, res);

  if (behaviour.kind === "resetBeforeBody") {
    call.recorded.push(bodilessRequest(req, true));
    resetSocket(req.socket);
    return undefined;
  }

  const received = await receiveMultipart(req, (count) => (state.fileBytesReceived += count));
  call.recorded.push(received.request);
  // The client went away mid-body: there is nobody left to answer.
  if (received.request.aborted) return undefined;
  return { behaviour, received };
}
