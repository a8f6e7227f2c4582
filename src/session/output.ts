/** Where a running cell's output goes: the kernel turns these into iopub messages; code can collect them. */
import type { MimeBundle } from "./mimebundle.js";

export interface DisplayTarget {
  /** A display_id: later calls with the same id and `update` replace the display in place. */
  id: string;
  update: boolean;
}

export interface CellOutput {
  stream(name: "stdout" | "stderr", text: string): void;
  /** A display (Jupyter display_data, or update_display_data when `target.update`). */
  display(bundle: MimeBundle, target?: DisplayTarget): void;
  /** The value of the cell's final expression statement (Jupyter execute_result). */
  result(bundle: MimeBundle): void;
}
