"""The Jupyter project's kernel conformance suite (jupyter_kernel_test) for the mergelang kernel.

Run from the node test with /usr/bin/python3 -m unittest, in a folder holding models/tiny_f32
(the reference models), with JUPYTER_PATH pointing at the mergelang kernelspec.
"""
import unittest

import jupyter_kernel_test

DECLARE = 'b = model("models/tiny_f32/base")\nt1 = model("models/tiny_f32/task_a")\nt2 = model("models/tiny_f32/task_b")\n'


class MergelangKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "mergelang"
    language_name = "mergelang"
    file_extension = ".merge"

    code_hello_world = 'print("hello, world")'
    # A warning (density 0 trims every delta) is written to stderr; the cell still succeeds.
    code_stderr = DECLARE + "m0 = ties(t1, t2, base: b, density: 0)"

    completion_samples = [
        {"text": "pri", "matches": {"print"}},
        {"text": "task_", "matches": {"task_arithmetic"}},
        {"text": "ties(t1, t2, base: b, dens", "matches": {"density: "}},
    ]

    complete_code_samples = ["x = 1", "ties(a, b, base: c)", "%cache", 'm = ties(a, b, base: c)\n  where "*.mlp.*" { density: 0.4 }']
    incomplete_code_samples = ["x = (", "m = ties(a,", "x = 1 +", 'm = ties(a, b, base: c)\n  where "*.mlp.*" {', "m = ties(a, b, base: c) where"]
    invalid_code_samples = ["x = )", "x = = 1", '"abc', "x = 1 ]"]

    code_generate_error = "x = undefined_name + 1"

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "2 * 3.5", "result": "7"},
        {"code": '"merge"', "result": "merge"},
        {"code": DECLARE + "b", "mime": "text/html"},
        {"code": DECLARE + "interference(t1, t2, base: b)", "mime": "image/svg+xml"},
    ]

    code_display_data = [
        {"code": DECLARE + 'save(ties(t1, t2, base: b), "out/conformance", dtype: "f32")', "mime": "text/html"},
        {"code": DECLARE + "1 + 1\n2 + 2", "mime": "text/plain"},
    ]

    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "ties"


if __name__ == "__main__":
    unittest.main()
