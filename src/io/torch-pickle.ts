/**
 * A restricted unpickler for PyTorch checkpoints. It knows the opcodes `torch.save` emits and the
 * handful of globals a state dict needs (OrderedDict, the tensor rebuild functions, the storage
 * types); any other global is refused with its name. Nothing is ever called: "calls" of the allowed
 * globals build plain descriptions (a storage reference, a tensor's offset, shape and strides).
 */
import { type DType } from "./dtype.js";
import { ModelFormatError } from "./errors.js";

/** A storage named by a persistent id: its dtype, key in the archive and element count. */
export interface TorchStorage {
  kind: "storage";
  dtype: DType;
  key: string;
  numel: number;
}

export interface TorchTensor {
  kind: "tensor";
  storage: TorchStorage;
  /** In elements of the storage. */
  storageOffset: number;
  shape: number[];
  stride: number[];
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A global the restricted unpickler knows, by its Python name. */
export class PyGlobal {
  constructor(readonly name: string) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | Map<PyValue, PyValue>
  | PyGlobal
  | TorchStorage
  | TorchTensor;

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

const ALLOWED_GLOBALS = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  "torch._utils._rebuild_parameter_with_state",
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

/** Thrown when the pickle runs past the bytes given: the caller reads more of the file and retries. */
export class PickleNeedsMore extends Error {}

export interface PickleResult {
  value: PyValue;
  /** Offset just after the STOP opcode. */
  end: number;
}

class Mark {}
const MARK = new Mark();
type StackItem = PyValue | Mark;

/** Unpickles one pickle from `bytes` at `start`; `file` names the checkpoint in errors. */
export function unpickle(bytes: Uint8Array, file: string, start = 0): PickleResult {
  return new Unpickler(bytes, file, start).run();
}

class Unpickler {
  private pos: number;
  private readonly stack: StackItem[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
    start: number,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleResult {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: this.u8(); break; // PROTO
        case 0x95: this.take(8); break; // FRAME: frames only group opcodes
        case 0x2e: return { value: this.pop(), end: this.pos }; // STOP
        case 0x28: this.marks.push(this.stack.length); break; // MARK
        case 0x29: this.push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x7d: this.push(new Map()); break; // EMPTY_DICT
        case 0x74: this.push(new PyTuple(this.popMark())); break; // TUPLE
        case 0x85: this.push(new PyTuple(this.popN(1))); break; // TUPLE1
        case 0x86: this.push(new PyTuple(this.popN(2))); break; // TUPLE2
        case 0x87: this.push(new PyTuple(this.popN(3))); break; // TUPLE3
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x64: this.push(pairsToMap(this.popMark())); break; // DICT
        case 0x61: { const v = this.pop(); this.list(this.peek(), at).push(v); break; } // APPEND
        case 0x65: { const vs = this.popMark(); this.list(this.peek(), at).push(...vs); break; } // APPENDS
        case 0x73: { const v = this.pop(); const k = this.pop(); this.dict(this.peek(), at).set(k, v); break; } // SETITEM
        case 0x75: { const kv = this.popMark(); const d = this.dict(this.peek(), at); for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i]!, kv[i + 1]!); break; } // SETITEMS
        case 0x71: this.memo.set(this.u8(), this.peek()); break; // BINPUT
        case 0x72: this.memo.set(this.u32(), this.peek()); break; // LONG_BINPUT
        case 0x94: this.memo.set(this.memo.size, this.peek()); break; // MEMOIZE
        case 0x70: this.memo.set(Number(this.line()), this.peek()); break; // PUT
        case 0x68: this.push(this.get(this.u8(), at)); break; // BINGET
        case 0x6a: this.push(this.get(this.u32(), at)); break; // LONG_BINGET
        case 0x67: this.push(this.get(Number(this.line()), at)); break; // GET
        case 0x4a: { const v = this.view.getInt32(this.need(4), true); this.pos += 4; this.push(v); break; } // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: { const v = this.view.getUint16(this.need(2), true); this.pos += 2; this.push(v); break; } // BININT2
        case 0x8a: this.push(this.long(this.u8())); break; // LONG1
        case 0x8b: this.push(this.long(this.u32())); break; // LONG4
        case 0x47: { const v = this.view.getFloat64(this.need(8), false); this.pos += 8; this.push(v); break; } // BINFLOAT
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x58: this.push(this.text(this.u32())); break; // BINUNICODE
        case 0x8c: this.push(this.text(this.u8())); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.text(this.u64())); break; // BINUNICODE8
        case 0x54: this.push(this.text(this.u32())); break; // BINSTRING
        case 0x55: this.push(this.text(this.u8())); break; // SHORT_BINSTRING
        case 0x42: this.push(this.take(this.u32()).slice()); break; // BINBYTES
        case 0x43: this.push(this.take(this.u8()).slice()); break; // SHORT_BINBYTES
        case 0x63: { const module = this.line(); const name = this.line(); this.push(this.global(module, name, at)); break; } // GLOBAL
        case 0x93: { const name = this.pop(); const module = this.pop(); this.push(this.global(String(module), String(name), at)); break; } // STACK_GLOBAL
        case 0x52: { const args = this.pop(); const fn = this.pop(); this.push(this.call(fn, args, at)); break; } // REDUCE
        case 0x81: { const args = this.pop(); const cls = this.pop(); this.push(this.call(cls, args, at)); break; } // NEWOBJ
        case 0x62: this.pop(); break; // BUILD: the only objects built are OrderedDicts, whose state (e.g. _metadata) is not needed
        case 0x51: this.push(this.persistent(this.pop(), at)); break; // BINPERSID
        case 0x30: this.pop(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.peek()); break; // DUP
        default:
          throw this.invalid(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at}`);
      }
    }
  }

  private global(module: string, name: string, at: number): PyGlobal {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) {
      throw new ModelFormatError(
        "pickle-refused",
        this.file,
        `${this.file} is not a plain PyTorch checkpoint: its pickle (byte ${at}) refers to ${full}, which mergelang refuses to load ` +
          "(only tensors, their storages and OrderedDict are allowed; nothing in the file is executed)",
      );
    }
    return new PyGlobal(full);
  }

  private call(fn: StackItem, args: StackItem, at: number): PyValue {
    if (!(fn instanceof PyGlobal) || !(args instanceof PyTuple)) throw this.invalid(`byte ${at} calls something that is not an allowed global`);
    const a = args.items;
    switch (fn.name) {
      case "collections.OrderedDict":
        return new Map();
      case "torch._utils._rebuild_tensor":
      case "torch._utils._rebuild_tensor_v2": {
        const [storage, offset, size, stride] = a;
        if (!isStorage(storage) || typeof offset !== "number" || !(size instanceof PyTuple) || !(stride instanceof PyTuple)) {
          throw this.invalid(`byte ${at}: ${fn.name} has arguments of the wrong types`);
        }
        return { kind: "tensor", storage, storageOffset: offset, shape: this.ints(size, at), stride: this.ints(stride, at) };
      }
      case "torch._utils._rebuild_parameter":
      case "torch._utils._rebuild_parameter_with_state":
        if (!isTensor(a[0] ?? null)) throw this.invalid(`byte ${at}: ${fn.name} wraps something that is not a tensor`);
        return a[0]!;
      default:
        throw this.invalid(`byte ${at} calls ${fn.name}, which only names a storage type`);
    }
  }

  /** ('storage', storage_type, key, location, numel[, view_metadata]) */
  private persistent(pid: StackItem, at: number): TorchStorage {
    const items = pid instanceof PyTuple ? pid.items : [];
    const [tag, type, key, , numel, view] = items;
    if (tag !== "storage" || !(type instanceof PyGlobal) || (typeof key !== "string" && typeof key !== "number") || typeof numel !== "number") {
      throw this.invalid(`byte ${at}: a persistent id that is not a tensor storage`);
    }
    if (view !== undefined && view !== null) throw this.invalid(`byte ${at}: storage views (a legacy format feature) are not supported`);
    return { kind: "storage", dtype: STORAGE_DTYPES[type.name.slice("torch.".length)]!, key: String(key), numel };
  }

  private ints(t: PyTuple, at: number): number[] {
    return t.items.map((v) => {
      if (typeof v !== "number" || !Number.isInteger(v)) throw this.invalid(`byte ${at}: a tensor size or stride that is not a whole number`);
      return v;
    });
  }

  private invalid(message: string): ModelFormatError {
    return new ModelFormatError("pickle-invalid", this.file, `${this.file} is not a readable PyTorch checkpoint: ${message}`);
  }

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private pop(): PyValue {
    if (this.stack.length === 0 || (this.marks.length && this.stack.length <= this.marks[this.marks.length - 1]!)) throw this.invalid(`stack underflow at byte ${this.pos - 1}`);
    const v = this.stack.pop()!;
    return v as PyValue;
  }

  private peek(): PyValue {
    if (this.stack.length === 0) throw this.invalid(`empty stack at byte ${this.pos - 1}`);
    return this.stack[this.stack.length - 1] as PyValue;
  }

  private popN(n: number): PyValue[] {
    const out: PyValue[] = [];
    for (let i = 0; i < n; i++) out.unshift(this.pop());
    return out;
  }

  private popMark(): PyValue[] {
    const m = this.marks.pop();
    if (m === undefined) throw this.invalid(`no mark at byte ${this.pos - 1}`);
    return this.stack.splice(m) as PyValue[];
  }

  private get(i: number, at: number): PyValue {
    if (!this.memo.has(i)) throw this.invalid(`byte ${at} reads memo ${i}, which was never stored`);
    return this.memo.get(i)!;
  }

  private list(v: PyValue, at: number): PyValue[] {
    if (!Array.isArray(v)) throw this.invalid(`byte ${at} appends to something that is not a list`);
    return v;
  }

  private dict(v: PyValue, at: number): Map<PyValue, PyValue> {
    if (!(v instanceof Map)) throw this.invalid(`byte ${at} sets an item of something that is not a dict`);
    return v;
  }

  /** Position of `n` more bytes, or PickleNeedsMore when they are past the end of what was read. */
  private need(n: number): number {
    if (this.pos + n > this.bytes.length) throw new PickleNeedsMore();
    return this.pos;
  }

  private take(n: number): Uint8Array {
    const at = this.need(n);
    this.pos += n;
    return this.bytes.subarray(at, at + n);
  }

  private u8(): number {
    const at = this.need(1);
    this.pos++;
    return this.bytes[at]!;
  }

  private u32(): number {
    const v = this.view.getUint32(this.need(4), true);
    this.pos += 4;
    return v;
  }

  private u64(): number {
    const v = Number(this.view.getBigUint64(this.need(8), true));
    this.pos += 8;
    return v;
  }

  private text(n: number): string {
    return Buffer.from(this.take(n)).toString("utf8");
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleNeedsMore();
    const s = Buffer.from(this.bytes.subarray(this.pos, end)).toString("latin1");
    this.pos = end + 1;
    return s;
  }

  /** A little-endian two's complement integer of `n` bytes (a number when it fits exactly). */
  private long(n: number): number | bigint {
    const b = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}

function pairsToMap(items: PyValue[]): Map<PyValue, PyValue> {
  const m = new Map<PyValue, PyValue>();
  for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i]!, items[i + 1]!);
  return m;
}

export function isStorage(v: PyValue | Mark): v is TorchStorage {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "storage";
}

export function isTensor(v: PyValue | Mark): v is TorchTensor {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "tensor";
}
