/** A device that cannot be used, with what is missing and how to install it (shown without a stack). */
export class DeviceError extends Error {
  override readonly name = "DeviceError";
}
