//! Writing generated files. The only module besides spec loading that touches the disk.
//! (Stub: filled in by the rule-generator work.)

use crate::generate::OutputFile;
use std::path::Path;

pub fn write_tree(out: &Path, files: &[OutputFile]) -> std::io::Result<()> {
    for file in files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &file.contents)?;
    }
    Ok(())
}
