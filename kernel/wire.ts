/**
 * tslab's Jupyter transport, typed: its ZmqServer (sockets, HMAC signing, heartbeat) and its message
 * class, which tslab does not export. The class is taken from a message tslab's own parser builds
 * (a probe message we sign ourselves), so every message is read, verified and signed by tslab.
 */
import { createHmac } from "node:crypto";
import { ZmqServer } from "tslab/dist/jupyter.js";

export { ZmqServer };

/** tslab's handler interface (not exported by name). */
export type JupyterHandler = ConstructorParameters<typeof ZmqServer>[0];

/** A parsed, verified message: `createReply()` and `signAndSend(key, socket)`. */
export type WireMessage = Parameters<ZmqServer["publishStatus"]>[1];

/** The socket type tslab's methods take. */
export type WireSocket = Parameters<ZmqServer["handleShellMessage"]>[0];

export interface MessageClass {
  fromRaw(key: string, frames: Buffer[]): WireMessage;
}

export type KernelInfoReply = ReturnType<JupyterHandler["handleKernel"]>;
export type ExecuteRequest = Parameters<JupyterHandler["handleExecute"]>[0];
export type ExecuteReply = Awaited<ReturnType<JupyterHandler["handleExecute"]>>;
export type CompleteRequest = Parameters<JupyterHandler["handleComplete"]>[0];
export type CompleteReply = ReturnType<JupyterHandler["handleComplete"]>;
export type InspectRequest = Parameters<JupyterHandler["handleInspect"]>[0];
export type InspectReply = ReturnType<JupyterHandler["handleInspect"]>;
export type IsCompleteRequest = Parameters<JupyterHandler["handleIsComplete"]>[0];
export type IsCompleteReply = ReturnType<JupyterHandler["handleIsComplete"]>;
export type ShutdownRequest = Parameters<JupyterHandler["handleShutdown"]>[0];
export type ShutdownReply = ReturnType<JupyterHandler["handleShutdown"]>;
export type DisplayData = Parameters<Parameters<JupyterHandler["handleExecute"]>[2]>[0];

let cached: MessageClass | null = null;

/** tslab's message class, found by letting tslab parse one message. */
export async function messageClass(): Promise<MessageClass> {
  if (cached) return cached;
  const key = "mergelang-probe";
  const parts = [
    JSON.stringify({ msg_id: "probe", msg_type: "kernel_info_request", session: "probe", username: "", date: new Date().toISOString(), version: "5.3" }),
    "{}",
    "{}",
    "{}",
  ];
  const hmac = createHmac("sha256", key);
  for (const p of parts) hmac.update(p);
  let parsed: WireMessage | null = null;
  // Only what handleShellMessage touches on the way to handleKernelInfo: nothing is sent anywhere.
  const probe = {
    connInfo: { key },
    publishStatus: (): void => {},
    handleKernelInfo: (_sock: unknown, msg: WireMessage): void => {
      parsed = msg;
    },
    close: (): void => {},
  };
  const frames = [Buffer.from("<IDS|MSG>"), Buffer.from(hmac.digest("hex")), ...parts.map((p) => Buffer.from(p))];
  await (ZmqServer.prototype.handleShellMessage as (this: unknown, sock: unknown, ...args: Buffer[]) => Promise<void>).call(probe, null, ...frames);
  if (parsed === null) throw new Error("tslab's transport did not parse the probe message: unsupported tslab version");
  cached = (parsed as object).constructor as unknown as MessageClass;
  if (typeof cached.fromRaw !== "function") throw new Error("tslab's message class has no fromRaw: unsupported tslab version");
  return cached;
}
