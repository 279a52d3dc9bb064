//! Where the graphs and tables of a set are: the published layout (one folder per size and
//! `optimal/Case{N}_{P}_OPT.csv`), a folder of `.stg` files, or a single file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::parse::{parse_optimal, Optimum, OptimumEntry};
use super::{io_error, layout_error, parse_error, StgError};

/// The graph sizes (real tasks per graph) of the published random sets, one folder each.
pub const SIZES: [usize; 9] = [50, 100, 300, 500, 750, 1000, 2000, 3000, 5000];

/// One graph file of a set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StgGraphFile {
    /// Its name in reports and tables: `N/randNNNN.stg` in the published layout, the file name
    /// otherwise.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
}

/// Graphs evaluated and summarised together: one size folder of the published layout, a
/// folder of `.stg` files, or one file.
#[derive(Clone, Debug, PartialEq)]
pub struct StgGroup {
    /// Its name in reports: the size (`"100"`) in the published layout, the folder's name for a
    /// folder, the file's stem for one file.
    pub name: String,
    /// The tasks per graph, for a size folder of the published layout.
    pub size: Option<usize>,
    /// The folder holding the graphs (the file itself for one file).
    pub path: PathBuf,
    /// Its graphs, sorted by name.
    pub graphs: Vec<StgGraphFile>,
    /// The `optimal/` folder holding this size's tables; `None` when there is none, and gaps
    /// are measured against the planner's proven lower bound.
    pub tables: Option<PathBuf>,
}

/// A set found by [`discover`].
#[derive(Clone, Debug, PartialEq)]
pub struct StgSet {
    /// The folder or file given.
    pub root: PathBuf,
    /// Its groups; size folders in increasing size.
    pub groups: Vec<StgGroup>,
}

fn sizes_text() -> String {
    SIZES.map(|s| s.to_string()).join(", ")
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The `.stg` files directly in `dir`, sorted by name, each named `prefix` + its file name.
fn stg_files(dir: &Path, prefix: &str) -> Result<Vec<StgGraphFile>, StgError> {
    let mut graphs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".stg") && !name.starts_with('.') && entry.path().is_file() {
            graphs.push(StgGraphFile {
                name: format!("{prefix}{name}"),
                path: entry.path(),
            });
        }
    }
    graphs.sort();
    Ok(graphs)
}

/// Finds the graphs (and tables) under `path`:
///
/// - a file is one graph with no table;
/// - a folder holding size folders (`50/` .. `5000/`, see [`SIZES`]) or `optimal/` is the
///   published layout: one group per size folder, with the tables of `optimal/` where it holds
///   any for that size (`Case{N}_*`);
/// - any other folder is one group of the `.stg` files in it, with no table.
///
/// A numbered folder that is not a published size, another folder holding `.stg` files, a `.stg`
/// file beside the size folders, an empty size folder or a folder with no graph at all is an
/// error naming it.
pub fn discover(path: &Path) -> Result<StgSet, StgError> {
    let meta = std::fs::metadata(path).map_err(io_error(path))?;
    let root = path.to_path_buf();
    if meta.is_file() {
        let name = path
            .file_stem()
            .map_or_else(|| file_name(path), |s| s.to_string_lossy().into_owned());
        let graph = StgGraphFile {
            name: file_name(path),
            path: root.clone(),
        };
        let group = StgGroup {
            name,
            size: None,
            path: root.clone(),
            graphs: vec![graph],
            tables: None,
        };
        return Ok(StgSet {
            root,
            groups: vec![group],
        });
    }

    let mut size_dirs: Vec<(usize, PathBuf)> = Vec::new();
    let mut other_dirs = Vec::new();
    let mut optimal = None;
    for entry in std::fs::read_dir(path).map_err(io_error(path))? {
        let entry = entry.map_err(io_error(path))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let sub = entry.path();
        if name.starts_with('.') || !sub.is_dir() {
            continue;
        }
        if name == "optimal" {
            optimal = Some(sub);
        } else if let Ok(size) = name.parse::<usize>() {
            if !SIZES.contains(&size) {
                return Err(layout_error(
                    sub,
                    format!(
                        "unknown size folder `{name}`: the published sets have {} tasks",
                        sizes_text()
                    ),
                ));
            }
            size_dirs.push((size, sub));
        } else {
            other_dirs.push(sub);
        }
    }
    let loose = stg_files(path, "")?;

    if optimal.is_none() && size_dirs.is_empty() {
        if loose.is_empty() {
            return Err(layout_error(
                path,
                format!(
                    "no .stg file here, and no size folder ({}) or optimal/: not an STG set",
                    sizes_text()
                ),
            ));
        }
        return Ok(StgSet {
            groups: vec![StgGroup {
                name: file_name(path),
                size: None,
                path: root.clone(),
                graphs: loose,
                tables: None,
            }],
            root,
        });
    }

    // The published layout.
    other_dirs.sort();
    for dir in &other_dirs {
        if !stg_files(dir, "")?.is_empty() {
            return Err(layout_error(
                dir,
                format!(
                    "unknown size folder `{}` holding .stg files: the published sets have {} \
                     tasks (pass the folder itself to evaluate it without a table)",
                    file_name(dir),
                    sizes_text()
                ),
            ));
        }
    }
    if let Some(first) = loose.first() {
        return Err(layout_error(
            &first.path,
            "a .stg file beside the size folders: move it into its size's folder, or pass it \
             (or a folder of such files) alone",
        ));
    }
    if size_dirs.is_empty() {
        return Err(layout_error(
            path,
            format!("optimal/ but no size folder ({}) beside it", sizes_text()),
        ));
    }
    let table_names: Vec<String> = match &optimal {
        Some(dir) => std::fs::read_dir(dir)
            .map_err(io_error(dir))?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        None => Vec::new(),
    };
    size_dirs.sort();
    let mut groups = Vec::with_capacity(size_dirs.len());
    for (size, dir) in size_dirs {
        let graphs = stg_files(&dir, &format!("{size}/"))?;
        if graphs.is_empty() {
            return Err(layout_error(&dir, "empty size folder: no .stg file in it"));
        }
        let prefix = format!("Case{size}_");
        let tables = optimal
            .clone()
            .filter(|_| table_names.iter().any(|n| n.starts_with(&prefix)));
        groups.push(StgGroup {
            name: size.to_string(),
            size: Some(size),
            path: dir,
            graphs,
            tables,
        });
    }
    Ok(StgSet { root, groups })
}

/// The graphs of the set under `path` (every group's, see [`discover`]) as (name, path).
pub fn list_graphs(path: &Path) -> Result<Vec<(String, PathBuf)>, StgError> {
    Ok(discover(path)?
        .groups
        .into_iter()
        .flat_map(|g| g.graphs)
        .map(|g| (g.name, g.path))
        .collect())
}

/// `optimal/Case{size}_{procs}_OPT.csv` under the folder `optimal`.
pub fn table_path(optimal: &Path, size: usize, procs: usize) -> PathBuf {
    optimal.join(format!("Case{size}_{procs}_OPT.csv"))
}

/// Reads `optimal/Case{size}_{procs}_OPT.csv` under the set's root `dir`, checking that every
/// line is for `procs` processors.
pub fn read_optimal(dir: &Path, size: usize, procs: usize) -> Result<Vec<OptimumEntry>, StgError> {
    let path = table_path(&dir.join("optimal"), size, procs);
    read_entries(&path, procs)
}

fn read_entries(path: &Path, procs: usize) -> Result<Vec<OptimumEntry>, StgError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let origin = path.display().to_string();
    let entries = parse_optimal(&text, &origin)?;
    if let Some(bad) = entries.iter().find(|e| e.procs != procs) {
        return Err(parse_error(
            &origin,
            bad.line,
            format!(
                "graph {} is listed for P = {}, but the table is for P = {procs}",
                bad.graph, bad.procs
            ),
        ));
    }
    Ok(entries)
}

/// The optimal lengths of `group`'s graphs on `procs` processors, from its table; `None` when
/// the group has no table. Every line must name a graph of the group's folder, once, and every
/// graph of the folder must have a line.
pub fn read_table(
    group: &StgGroup,
    procs: usize,
) -> Result<Option<HashMap<String, Optimum>>, StgError> {
    let (Some(optimal), Some(size)) = (&group.tables, group.size) else {
        return Ok(None);
    };
    let path = table_path(optimal, size, procs);
    if !path.exists() {
        return Err(layout_error(
            &path,
            format!(
                "missing: {} holds tables for the {size}-task graphs, but none for P = {procs}",
                optimal.display()
            ),
        ));
    }
    let origin = path.display().to_string();
    let prefix = format!("{size}/");
    let mut table = HashMap::new();
    for e in read_entries(&path, procs)? {
        if !e.graph.starts_with(&prefix) {
            return Err(parse_error(
                &origin,
                e.line,
                format!(
                    "names `{}`, not a graph of the {size}-task set (`{prefix}...`)",
                    e.graph
                ),
            ));
        }
        if !group.graphs.iter().any(|g| g.name == e.graph) {
            return Err(parse_error(
                &origin,
                e.line,
                format!(
                    "names `{}`, which is not in {}",
                    e.graph,
                    group.path.display()
                ),
            ));
        }
        if table.insert(e.graph.clone(), e.optimum).is_some() {
            return Err(parse_error(
                &origin,
                e.line,
                format!("lists `{}` a second time", e.graph),
            ));
        }
    }
    if let Some(missing) = group.graphs.iter().find(|g| !table.contains_key(&g.name)) {
        return Err(layout_error(
            &path,
            format!("no line for {} (P = {procs})", missing.name),
        ));
    }
    Ok(Some(table))
}
