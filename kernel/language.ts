/** The language's name and file extension, as kernel_info and kernel.json report them. */
export const LANGUAGE = "mergelang";
export const FILE_EXTENSION = ".merge";
