//! Runs ONNX files in onnxruntime through `python3`, for the ONNX tests.
//! Needs the `onnxruntime` and `numpy` packages (`pip install onnxruntime numpy`).

use std::path::Path;
use std::process::Command;

/// Reads the `.onnx` file at argv[1] and the float64 rows at argv[2]
/// (shape from argv[3], argv[4]), runs them and writes float32 outputs to
/// argv[5]. With argv[6] = "round", the rows are rounded to float32 first.
const RUNNER: &str = r#"
import sys
try:
    import numpy as np
    import onnxruntime as ort
except ImportError as error:
    sys.exit(f"onnxruntime or numpy is missing ({error}); run `pip install onnxruntime numpy`")
model, rows_path, rows, columns, out_path, rounding = sys.argv[1:7]
x = np.fromfile(rows_path, dtype="<f8").reshape(int(rows), int(columns))
if rounding == "round":
    x = x.astype(np.float32).astype(np.float64)
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
(y,) = session.run(None, {"features": x})
np.asarray(y, dtype="<f4").reshape(-1).tofile(out_path)
print(ort.__version__)
"#;

/// Runs `model` on `rows` in onnxruntime and returns one output per row.
/// `rounding` is `round` to round the rows to float32 first, else `exact`.
pub fn run_onnxruntime(
    model: &Path,
    rows: &[f64],
    columns: usize,
    scratch: &Path,
    rounding: &str,
) -> Vec<f32> {
    let rows_path = scratch.join("rows.f64");
    let out_path = scratch.join("out.f32");
    let bytes: Vec<u8> = rows.iter().flat_map(|value| value.to_le_bytes()).collect();
    std::fs::write(&rows_path, bytes).expect("could not write the rows file");

    let output = Command::new("python3")
        .arg("-c")
        .arg(RUNNER)
        .arg(model)
        .arg(&rows_path)
        .arg((rows.len() / columns).to_string())
        .arg(columns.to_string())
        .arg(&out_path)
        .arg(rounding)
        .output()
        .unwrap_or_else(|error| {
            panic!("could not start python3 ({error}); install Python 3 with `pip install onnxruntime numpy`")
        });
    assert!(
        output.status.success(),
        "onnxruntime failed on {}: {}",
        model.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "onnxruntime {} ran {}",
        String::from_utf8_lossy(&output.stdout).trim(),
        model.display()
    );

    let out = std::fs::read(&out_path).expect("onnxruntime wrote no output file");
    out.chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect()
}
