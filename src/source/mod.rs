//! Finds the release file in what the user points at: a zip as CMS posts it, a folder, or a
//! loose text, workbook or CSV file. Picks by content (record lines, header rows), not by name,
//! and works out which release it is. Returns bytes; reading them is `read`'s job.

use std::path::Path;

use crate::error::{FileProblem, ReadError};
use crate::model::{MONTH_NAMES, Record, ReleaseId};
use crate::model::{SourceInfo, sha256_hex};
use crate::read::{self, Form, Sniffed};

/// The release file chosen, with where it came from.
#[derive(Debug)]
pub struct SourceFile {
    /// The file the user named (a zip, a folder's file, a loose file): its name, no path.
    pub file: String,
    /// SHA-256 of that file's bytes, hex.
    pub sha256: String,
    /// The member of a zip, or the file within a folder, that holds the release.
    pub member: Option<String>,
    pub form: Form,
    pub bytes: Vec<u8>,
    /// The release's workbook beside a chosen text in the same zip or folder: characters the
    /// text has damaged are repaired from it.
    pub companion: Option<Companion>,
    /// The corrections files beside the release in its zip or folder (named and chosen as
    /// `corrections_files` does), or why a zip they may be in cannot be read.
    pub corrections: Result<Vec<(String, Vec<u8>)>, ReadError>,
}

impl SourceFile {
    /// Where the release came from, as the store records it.
    pub fn info(&self) -> SourceInfo {
        SourceInfo {
            file: self.file.clone(),
            member: self.member.clone(),
            sha256: self.sha256.clone(),
        }
    }
}

/// `path`'s name (for messages) and metadata, if it is a regular file or a folder: a FIFO, a
/// device or a socket is refused at once.
fn named_regular(path: &Path) -> Result<(String, std::fs::Metadata), ReadError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let meta = std::fs::metadata(path).map_err(|e| ReadError::file(&name, FileProblem::Io(e)))?;
    if let Some(what) = crate::error::irregular(&meta) {
        return Err(ReadError::file(&name, FileProblem::NotRegular(what)));
    }
    Ok((name, meta))
}

/// Every regular file directly in the folder `path` (`name` for messages), by name, read within
/// `left` bytes all together.
fn folder_files(
    path: &Path,
    name: &str,
    left: &mut u64,
) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let io = |e| ReadError::file(name, FileProblem::Io(e));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_file() {
            let member = entry.file_name().to_string_lossy().into_owned();
            files.push((member, read_file(&entry.path(), name, left)?));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// A loose fixed-width text, open, its first megabyte read: to be read a piece at a time and
/// typed as it is read (`normalize::text_stream`), never held whole.
#[derive(Debug)]
pub struct LooseText {
    /// The file's name, for messages and its provenance.
    pub file: String,
    /// Its path, for a message that it is too large.
    pub path: std::path::PathBuf,
    /// The first bytes; the rest are read from `rest`.
    pub head: Vec<u8>,
    pub rest: std::fs::File,
    /// What the file says it holds: a hint, not a bound.
    pub size: u64,
    /// How its lines are decoded, and how many bytes of byte-order mark open it.
    pub encoding: &'static encoding_rs::Encoding,
    pub skip: usize,
}

/// What `open` found at a path.
#[derive(Debug)]
pub enum Opened {
    /// A loose text, to be read a piece at a time (see `streamed_text`).
    Text(LooseText),
    /// The release file, read.
    File(SourceFile),
}

/// How many bytes of a loose file are read before deciding whether it is a text to read a
/// piece at a time.
const HEAD: u64 = 1 << 20;

/// Opens `path` (a file or a folder) and finds the release file in it: a loose text is left
/// open, to be read a piece at a time, anything else is read.
pub fn open(path: &Path) -> Result<Opened, ReadError> {
    use std::io::Read as _;
    let (name, meta) = named_regular(path)?;
    if meta.is_dir() {
        return open_folder(path, &name).map(Opened::File);
    }
    let io = |e| ReadError::file(&name, FileProblem::Io(e));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(usize::try_from(size.min(HEAD)).unwrap_or(0));
    (&mut file).take(HEAD).read_to_end(&mut head).map_err(io)?;
    if let Some((encoding, skip)) = streamed_text(&name, &head) {
        return Ok(Opened::Text(LooseText {
            file: name,
            path: path.to_path_buf(),
            head,
            rest: file,
            size,
            encoding,
            skip,
        }));
    }
    let reader = std::io::Cursor::new(head).chain(file);
    let bytes = read_capped(reader, read::max_unpacked(), size, path, &name)?;
    from_bytes(&name, bytes).map(Opened::File)
}

/// Whether the loose file `name`, whose first bytes are `head`, is a release text that can be
/// read a piece at a time: a fixed-width text by its content (`read::sniff`) whose lines can
/// be decoded one at a time (`read::text::line_encoding`: not UTF-16), and not a corrections
/// file (which `from_bytes` keeps beside the release); with its encoding and byte-order mark.
/// A text whose first megabyte holds no record line is read whole, as `from_bytes` sniffs all
/// of it.
fn streamed_text(name: &str, head: &[u8]) -> Option<(&'static encoding_rs::Encoding, usize)> {
    if read::corrections::is_corrections_name(name)
        || read::sniff(name, head) != Sniffed::Release(Form::Text)
    {
        return None;
    }
    read::text::line_encoding(head)
}

/// The bytes of the file at `path`, if no more than `left` (which they are taken from).
fn read_file(path: &Path, name: &str, left: &mut u64) -> Result<Vec<u8>, ReadError> {
    let io = |e| ReadError::file(name, FileProblem::Io(e));
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let bytes = read_capped(file, *left, size, path, name)?;
    *left -= bytes.len() as u64;
    Ok(bytes)
}

/// All of `reader` (the file at `path`, named `name` in messages) if at most `limit` bytes.
fn read_capped(
    reader: impl std::io::Read,
    limit: u64,
    size: u64,
    path: &Path,
    name: &str,
) -> Result<Vec<u8>, ReadError> {
    read::read_capped(reader, limit, size)
        .map_err(|e| ReadError::file(name, FileProblem::Io(e)))?
        .ok_or_else(|| {
            ReadError::file(
                name,
                FileProblem::TooLarge {
                    what: path.display().to_string(),
                    limit: read::max_unpacked(),
                },
            )
        })
}

/// Finds the release file in `bytes` named `name` (a download, or a file read from disk).
pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<SourceFile, ReadError> {
    let sha256 = sha256_hex(&bytes);
    match read::sniff(name, &bytes) {
        Sniffed::Empty => Err(ReadError::file(name, FileProblem::Empty)),
        Sniffed::Html => Err(ReadError::file(name, FileProblem::Html)),
        Sniffed::Other => Err(ReadError::file(name, FileProblem::Unrecognized)),
        Sniffed::Release(form) => Ok(SourceFile {
            file: name.to_string(),
            sha256,
            member: None,
            form,
            corrections: Ok(corrections_among([(name, &bytes)])),
            bytes,
            companion: None,
        }),
        Sniffed::Zip => {
            // The zip's SHA-256 taken on a second thread while its members are unpacked.
            let (sha256, members) = crate::par::both(
                || sha256_hex(&bytes),
                || {
                    let mut zip = Unpacking::new(name, &bytes)?;
                    Ok::<_, ReadError>((zip.members()?, zip.left))
                },
            );
            let (mut members, left) = members?;
            let corrections = corrections_among(
                members
                    .iter()
                    .filter(|(_, m)| !m.packed)
                    .map(|(n, m)| (format!("{name}/{n}"), &m.bytes))
                    .collect::<Vec<_>>(),
            );
            let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(members.len());
            let mut packed = Vec::with_capacity(members.len());
            for (n, m) in members.drain(..) {
                packed.push(m.packed.then_some(m.index));
                files.push((n, m.bytes));
            }
            // The text with the most records, judged among the members unpacked (a member
            // packed is a workbook or a zip by its first bytes, never a text); the workbooks are
            // unpacked only when no text is the release.
            let (i, form) = match choose_text(name, &files)? {
                Some(found) => found,
                None => {
                    let mut zip = Unpacking::new(name, &bytes)?;
                    zip.left = left;
                    for (file, index) in files.iter_mut().zip(&packed) {
                        if let Some(index) = index {
                            file.1 = zip.unpack(*index)?;
                        }
                    }
                    packed.iter_mut().for_each(|p| *p = None);
                    choose(name, &files)?
                }
            };
            let (member, content) = files.remove(i);
            packed.remove(i);
            let companion = (form == Form::Text).then(|| Companion::InZip {
                zip: bytes,
                left,
                members: files
                    .into_iter()
                    .zip(packed)
                    .map(|((n, b), p)| (n, p.map_or(Packed::Unpacked(b), Packed::At)))
                    .collect(),
            });
            Ok(SourceFile {
                file: name.to_string(),
                sha256,
                member: Some(member),
                companion,
                form,
                bytes: content,
                corrections: Ok(corrections),
            })
        }
    }
}

/// The release's workbook beside a text: read, or still in the release zip, to be found and
/// unpacked only if the text turns out to need it (`open`).
#[derive(Debug)]
pub enum Companion {
    /// Name, form and bytes.
    Read(String, Form, Vec<u8>),
    /// The zip's other members in its order, and how many bytes may still be unpacked.
    InZip {
        zip: Vec<u8>,
        left: u64,
        members: Vec<(String, Packed)>,
    },
}

/// A zip member kept for `Companion::open`.
#[derive(Debug)]
pub enum Packed {
    Unpacked(Vec<u8>),
    /// Its index in the zip.
    At(usize),
}

impl Companion {
    /// The workbook (name, form, bytes): the first xlsx or xls among the files beside the text
    /// whose name is not a transaction report's nor a corrections file's (`take_workbook`); `container` names the zip in
    /// messages. A member that cannot be unpacked is an error, as it was when every member was
    /// unpacked first.
    pub fn open(self, container: &str) -> Result<Option<(String, Form, Vec<u8>)>, ReadError> {
        let (zip, left, members) = match self {
            Companion::Read(name, form, bytes) => return Ok(Some((name, form, bytes))),
            Companion::InZip { zip, left, members } => (zip, left, members),
        };
        let mut unpacking = Unpacking::new(container, &zip)?;
        unpacking.left = left;
        let mut files = Vec::new();
        for (name, member) in members {
            if !may_be_release_workbook(&name) {
                continue;
            }
            let bytes = match member {
                Packed::Unpacked(bytes) => bytes,
                Packed::At(index) => unpacking.unpack(index)?,
            };
            files.push((name, bytes));
            if let Some(found) = take_workbook(&mut files) {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

/// A member of a zip as `Unpacking::members` gives it.
struct Member {
    /// Its index in the zip.
    index: usize,
    /// Whether it was left packed (`bytes` then holds only its first bytes).
    packed: bool,
    bytes: Vec<u8>,
}

/// A zip being unpacked, every member counted against the cap (`read::max_unpacked`) as it is
/// unpacked.
struct Unpacking<'z> {
    name: &'z str,
    archive: zip::ZipArchive<std::io::Cursor<&'z [u8]>>,
    /// What may still be unpacked.
    left: u64,
}

/// How many bytes of a member tell whether it is a workbook or a zip (`read::sniff`: `PK`
/// and the OLE signature).
const SIGNATURE: usize = 8;

impl<'z> Unpacking<'z> {
    fn new(name: &'z str, bytes: &'z [u8]) -> Result<Self, ReadError> {
        let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad_zip(name))?;
        Ok(Unpacking {
            name,
            archive,
            left: read::max_unpacked(),
        })
    }

    /// Every member, by name, in the zip's order: unpacked, but for one whose first bytes say
    /// a workbook or a zip and whose name is not a corrections file's (those are read as
    /// corrections), which is left packed: judging the release is done on the texts, and the
    /// workbooks are unpacked only if none is the release (`Companion` for the one beside the
    /// text). A release zip's workbooks and transaction reports are a third of its bytes.
    fn members(&mut self) -> Result<Vec<(String, Member)>, ReadError> {
        use std::io::Read as _;
        let mut members = Vec::new();
        for index in 0..self.archive.len() {
            let name = self.name;
            let mut member = self.archive.by_index(index).map_err(bad_zip(name))?;
            if member.is_dir() {
                continue;
            }
            let member_name = member.name().map_err(bad_zip(name))?.into_owned();
            let mut head = Vec::with_capacity(SIGNATURE);
            (&mut member)
                .take(SIGNATURE as u64)
                .read_to_end(&mut head)
                .map_err(|e| bad_member(name, &member_name, e))?;
            let as_corrections =
                read::corrections::is_corrections_name(&format!("{name}/{member_name}"));
            let binary = matches!(read::sniff(&member_name, &head), Sniffed::Zip)
                || head.starts_with(&read::XLS_SIGNATURE);
            if binary && !as_corrections {
                members.push((
                    member_name,
                    Member {
                        index,
                        packed: true,
                        bytes: head,
                    },
                ));
                continue;
            }
            let size = member.size();
            let reader = std::io::Cursor::new(head).chain(member);
            let bytes = capped(name, &mut self.left, reader, size, &member_name)?;
            members.push((
                member_name,
                Member {
                    index,
                    packed: false,
                    bytes,
                },
            ));
        }
        Ok(members)
    }

    /// The member at `index`, unpacked.
    fn unpack(&mut self, index: usize) -> Result<Vec<u8>, ReadError> {
        let name = self.name;
        let member = self.archive.by_index(index).map_err(bad_zip(name))?;
        let member_name = member.name().map_err(bad_zip(name))?.into_owned();
        let size = member.size();
        capped(name, &mut self.left, member, size, &member_name)
    }
}

/// All of `reader` (the member `member_name` of the zip `name`, which says it holds `size`
/// bytes) if no more than `left`, the bytes that may still be unpacked, which it is taken from.
fn capped(
    name: &str,
    left: &mut u64,
    reader: impl std::io::Read,
    size: u64,
    member_name: &str,
) -> Result<Vec<u8>, ReadError> {
    let content = read::read_capped(reader, *left, size)
        .map_err(|e| bad_member(name, member_name, e))?
        .ok_or_else(|| {
            ReadError::file(
                name,
                FileProblem::TooLarge {
                    what: format!("member {member_name}"),
                    limit: read::max_unpacked(),
                },
            )
        })?;
    *left -= content.len() as u64;
    Ok(content)
}

fn bad_zip(name: &str) -> impl Fn(zip::result::ZipError) -> ReadError + '_ {
    move |e| ReadError::file(name, FileProblem::BadZip(e.to_string()))
}

fn bad_member(name: &str, member: &str, e: std::io::Error) -> ReadError {
    ReadError::file(name, FileProblem::BadZip(format!("{member}: {e}")))
}

/// The corrections files among a zip's or folder's files (see `read::corrections::choose`),
/// copied out; the others are not copied.
fn corrections_among<N: AsRef<str>>(
    files: impl IntoIterator<Item = (N, impl AsRef<[u8]>)>,
) -> Vec<(String, Vec<u8>)> {
    read::corrections::choose(
        files
            .into_iter()
            .filter(|(n, _)| read::corrections::is_corrections_name(n.as_ref()))
            .map(|(n, b)| (n.as_ref().to_string(), b.as_ref().to_vec()))
            .collect(),
    )
}

/// Every member of the zip `bytes`, unpacked; all of them together at most `read::max_unpacked`
/// bytes, whatever the archive declares.
fn zip_members(name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let mut zip = Unpacking::new(name, bytes)?;
    let mut members = Vec::new();
    for index in 0..zip.archive.len() {
        let member = zip.archive.by_index(index).map_err(bad_zip(name))?;
        if member.is_dir() {
            continue;
        }
        let member_name = member.name().map_err(bad_zip(name))?.into_owned();
        drop(member);
        members.push((member_name, zip.unpack(index)?));
    }
    Ok(members)
}

fn open_folder(path: &Path, name: &str) -> Result<SourceFile, ReadError> {
    // A folder may hold CMS's zip as downloaded, or its contents unpacked; corrections may be
    // loose or in a zip of their own. Each zip is unpacked once, for both.
    let mut loose = Vec::new();
    let mut in_zips = Ok(Vec::new());
    // The files named as corrections, loose or in a zip, in the folder's order.
    let mut named = Vec::new();
    let mut note = |file: &str, bytes: &[u8]| {
        if read::corrections::is_corrections_name(file) {
            named.push((file.to_string(), bytes.to_vec()));
        }
    };
    for (file, bytes) in folder_files(path, name, &mut read::max_unpacked())? {
        if read::sniff(&file, &bytes) != Sniffed::Zip {
            note(&file, &bytes);
            loose.push((file, bytes));
            continue;
        }
        let Ok(all) = &mut in_zips else { continue };
        match zip_members(&file, &bytes) {
            Ok(members) => {
                for (m, content) in members {
                    let member = format!("{file}/{m}");
                    note(&member, &content);
                    all.push((member, content));
                }
            }
            Err(e) => in_zips = Err(e),
        }
    }
    let (member, form, content, corrections) = match choose(name, &loose) {
        Ok((i, form)) => {
            let (member, content) = loose.remove(i);
            let corrections = in_zips.map(|_| read::corrections::choose(named));
            (member, form, content, corrections)
        }
        Err(loose_err) => {
            let mut in_zips = in_zips?;
            if in_zips.is_empty() {
                return Err(loose_err);
            }
            let (i, form) = choose(name, &in_zips)?;
            let (member, content) = in_zips.remove(i);
            (member, form, content, Ok(read::corrections::choose(named)))
        }
    };
    // The workbook beside a text is a loose one, as CMS unpacks a release.
    let companion = take_workbook(&mut loose);
    let sha256 = sha256_hex(&content);
    Ok(SourceFile {
        file: name.to_string(),
        sha256,
        member: Some(member),
        companion: companion
            .filter(|_| form == Form::Text)
            .map(|(name, form, bytes)| Companion::Read(name, form, bytes)),
        form,
        bytes: content,
        corrections,
    })
}

/// Whether a file beside a release's text may be its workbook by name: not a transaction
/// report's, nor a corrections file's (CMS ships both as workbooks too).
fn may_be_release_workbook(name: &str) -> bool {
    !name.to_ascii_lowercase().contains("trans") && !read::corrections::is_corrections_name(name)
}

/// The release workbook among a zip's or folder's files, taken out of them: the xlsx or xls
/// whose name is not a transaction report's nor a corrections file's, the first in their order. Read only if the text
/// turns out to need it.
fn take_workbook(files: &mut Vec<(String, Vec<u8>)>) -> Option<(String, Form, Vec<u8>)> {
    let (i, form) = files
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| may_be_release_workbook(n))
        .find_map(|(i, (n, b))| match read::sniff(n, b) {
            Sniffed::Release(form @ (Form::Xlsx | Form::Xls)) => Some((i, form)),
            _ => None,
        })?;
    let (name, bytes) = files.remove(i);
    Some((name, form, bytes))
}

/// The fixed-width text among `files` with the most record lines, by index, if one is mostly
/// records; two that tie with different bytes are refused (`only_best`).
fn choose_text(
    container: &str,
    files: &[(String, Vec<u8>)],
) -> Result<Option<(usize, Form)>, ReadError> {
    // Text first: counting its record lines is cheap, and it is CMS's primary form. Tables are
    // parsed (the costly part) only when no text holds records.
    let texts = files
        .iter()
        .enumerate()
        .filter(|(_, (name, bytes))| read::sniff(name, bytes) == Sniffed::Release(Form::Text))
        .filter_map(|(i, (_, bytes))| {
            let (records, lines) = read::count_lines(bytes);
            // Mostly records, as a release's lines are (six in ten in CMS's files, all in a
            // quarterly one), and not a notes file where one line happens to look like one.
            (records * 4 >= lines).then_some((records, (i, Form::Text)))
        })
        .collect();
    only_best(container, files, texts)
}

/// The release file among `files`, by index, and its form: the fixed-width text with the most
/// record lines (CMS's primary form), else the workbook or CSV with the most rows. Transaction
/// reports, README and notes hold no records and so never win.
fn choose(container: &str, files: &[(String, Vec<u8>)]) -> Result<(usize, Form), ReadError> {
    if let Some(text) = choose_text(container, files)? {
        return Ok(text);
    }
    let candidates: Vec<(usize, Form)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, (name, bytes))| match read::sniff(name, bytes) {
            Sniffed::Release(form) if form != Form::Text => Some((i, form)),
            _ => None,
        })
        .collect();
    let tables = candidates
        .iter()
        .filter(|(_, form)| *form != Form::Text)
        .filter_map(|&(i, form)| {
            let (name, bytes) = &files[i];
            let rows = read::read(name, bytes, form).ok()?.rows.len();
            Some((rows, (i, form)))
        })
        .collect();
    only_best(container, files, tables)?.ok_or_else(|| {
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        ReadError::file(container, FileProblem::NoRelease(names.join(", ")))
    })
}

/// The file with the most records among `counted` (records, (index, form)); none if empty.
/// Two of one form that tie with different bytes are refused by name: which one is the
/// release cannot be told, and taking either would be a guess. Identical copies are one file;
/// a workbook and a CSV that tie are taken as the release in two forms (the first is read).
fn only_best(
    container: &str,
    files: &[(String, Vec<u8>)],
    counted: Vec<(usize, (usize, Form))>,
) -> Result<Option<(usize, Form)>, ReadError> {
    let Some(most) = counted.iter().map(|(n, _)| *n).max() else {
        return Ok(None);
    };
    let mut best = counted
        .into_iter()
        .filter(|(n, _)| *n == most)
        .map(|(_, f)| f);
    let first = best.next();
    if let Some((i, form)) = first
        && let Some((j, _)) = best.find(|(j, f)| *f == form && files[*j].1 != files[i].1)
    {
        return Err(ReadError::file(
            container,
            FileProblem::TwoReleases {
                first: files[i].0.clone(),
                second: files[j].0.clone(),
                count: most,
            },
        ));
    }
    Ok(first)
}

/// The corrections files at `path`, which the user names as such: in a zip or a folder (and
/// the zips in it), the members whose names say corrections; a loose file is taken as one
/// whatever its name. Bounded like a release by `read::max_unpacked`.
pub fn corrections_files(path: &Path) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let (name, meta) = named_regular(path)?;
    let mut left = read::max_unpacked();
    let files = if meta.is_dir() {
        folder_files(path, &name, &mut left)?
    } else {
        vec![(name.clone(), read_file(path, &name, &mut left)?)]
    };
    let mut members = Vec::new();
    for (member, bytes) in files {
        if read::sniff(&member, &bytes) == Sniffed::Zip {
            for (inner, content) in zip_members(&member, &bytes)? {
                members.push((format!("{member}/{inner}"), content));
            }
        } else if !meta.is_dir() {
            return Ok(vec![(member, bytes)]);
        } else {
            members.push((member, bytes));
        }
    }
    Ok(read::corrections::choose(members))
}

/// The release a file name says, e.g. `HCPC2025_JAN_ANWEB_12172024.txt` → 2025-01,
/// `HCPC17_CONTR_ANWEB.txt` → 2017-01, `12anweb.zip` → 2012-01, `october-2025-...` → 2025-10.
pub fn release_from_name(name: &str) -> Option<ReleaseId> {
    release_from_names(None, name).map(|(release, _)| release)
}

/// The release the names of a release file say: `member` (a zip's member or a folder's file,
/// `inner.zip/member` when it was in a zip in a folder) inside `container` (the file or folder
/// the user named). The year comes from the innermost name that gives one; the month from that
/// name or, when it names none, from the nearest name holding it that names no other year: CMS
/// names the quarter on the zip (`april-2020-alpha-numeric-hcpcs-file.zip`) and, in some years,
/// only the year on the text inside (`HCPC2020_ANWEB.txt`). A quarter no name gives is January.
/// Returns the release and the names it was read from, for messages.
pub fn release_from_names(member: Option<&str>, container: &str) -> Option<(ReleaseId, String)> {
    // Innermost first: the member's own name, then what holds it.
    let mut names: Vec<&str> = member.map_or_else(Vec::new, |m| m.rsplit('/').collect());
    names.push(container);
    let names: Vec<&str> = names.into_iter().filter(|n| !n.is_empty()).collect();
    let lower: Vec<String> = names.iter().map(|n| base_name(n)).collect();
    let (at, year) = lower
        .iter()
        .enumerate()
        .find_map(|(i, n)| name_year(n).map(|year| (i, year)))?;
    let month = lower[at..]
        .iter()
        .enumerate()
        .take_while(|(k, n)| *k == 0 || name_year(n).is_none_or(|y| y == year))
        .find_map(|(k, n)| name_month(n, year).map(|month| (at + k, month)));
    let said = match month {
        Some((from, _)) if from != at => format!("{} in {}", names[at], names[from]),
        _ => names[at].to_string(),
    };
    let month = month.map_or(1, |(_, month)| month);
    ReleaseId::new(year, month).map(|release| (release, said))
}

/// A name's last part (a path's file name), in lower case.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase()
}

fn name_year(base: &str) -> Option<u16> {
    four_digit_year(base).or_else(|| two_digit_year(base))
}

/// The month a name gives: a month's name (`april`, `JAN`) or `YYYY-MM` after the year.
fn name_month(base: &str, year: u16) -> Option<u8> {
    month_token(base).or_else(|| numbered_month(base, year))
}

fn digit_runs(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !b[i].is_ascii_digit() {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (start < b.len()).then(|| (start, &s[start..i]))
    })
}

fn four_digit_year(s: &str) -> Option<u16> {
    digit_runs(s)
        .find(|(_, run)| run.len() == 4 && (run.starts_with("19") || run.starts_with("20")))
        .and_then(|(_, run)| run.parse().ok())
}

fn two_digit_year(s: &str) -> Option<u16> {
    digit_runs(s).find_map(|(start, run)| {
        let before = &s[..start];
        let after = &s[start + run.len()..];
        let hcpcs_prefix = before.ends_with("hcpc") || before.ends_with("hcpcs");
        (run.len() == 2 && (hcpcs_prefix || after.starts_with("anweb")))
            .then(|| 2000 + run.parse::<u16>().unwrap_or(0))
    })
}

/// The month of a name written `YYYY-MM` or `YYYY_MM` (a folder named for its release, as
/// `2020-04`): two digits from 01 to 12 right after the year, and no digit after them; at any
/// place the year is written, not only the first (`hcpcs2020-update-2020-07`).
fn numbered_month(s: &str, year: u16) -> Option<u8> {
    let year = year.to_string();
    s.match_indices(&year).find_map(|(at, _)| {
        let rest = s.get(at + 4..)?.strip_prefix(['-', '_'])?;
        let digits = rest.get(..2)?;
        let after = rest[2..].chars().next();
        if !digits.bytes().all(|b| b.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit())
        {
            return None;
        }
        digits.parse().ok().filter(|m| (1..=12).contains(m))
    })
}

fn month_token(s: &str) -> Option<u8> {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .find_map(|word| {
            MONTH_NAMES
                .iter()
                .position(|m| word == *m || (word.len() == 3 && m.starts_with(word)))
                .map(|i| i as u8 + 1)
        })
}

/// What the records of a release say of its date (the latest action-effective or added date,
/// and the release the content says), gathered a record at a time, so that records not held (a large text's) are weighed too:
/// a count a quarter, whatever the number of records.
#[derive(Debug, Default, Clone)]
pub struct Dates {
    latest: Option<chrono::NaiveDate>,
    /// How many codes' actions (other than N) take effect on the first day of each quarter.
    quarters: std::collections::BTreeMap<(i32, u32), usize>,
}

impl Dates {
    pub fn of(records: &[Record]) -> Self {
        let mut dates = Dates::default();
        for r in records {
            dates.add(r);
        }
        dates
    }

    pub fn add(&mut self, r: &Record) {
        use chrono::Datelike;
        let latest = [r.action_effective_date, r.added_date]
            .into_iter()
            .flatten()
            .max();
        self.latest = self.latest.max(latest);
        if r.action_code.as_deref() != Some("N")
            && let Some(d) = r.action_effective_date
            && d.day() == 1
            && matches!(d.month(), 1 | 4 | 7 | 10)
        {
            *self.quarters.entry((d.year(), d.month())).or_insert(0) += 1;
        }
    }

    /// The latest action-effective or added date of any record: a release takes effect no
    /// later.
    pub fn latest(&self) -> Option<chrono::NaiveDate> {
        self.latest
    }

    /// The release the content says: the latest first day of a quarter on which at least
    /// `MIN_ACTIONS` codes' actions take effect. Quarterly files carry the previous quarters'
    /// dates too, and a few codes take effect later than their release, hence the threshold.
    pub fn release(&self) -> Option<ReleaseId> {
        const MIN_ACTIONS: usize = 5;
        self.quarters
            .iter()
            .rev()
            .find(|(_, n)| **n >= MIN_ACTIONS)
            .and_then(|((y, m), _)| ReleaseId::new(*y as u16, *m as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_ids_from_every_cms_file_name() {
        let cases = [
            ("12anweb.zip", "2012-01"),
            ("12anweb.txt", "2012-01"),
            ("HCPC2013_A-N.txt", "2013-01"),
            ("HCPC2016_CONTR_ANWEB.txt", "2016-01"),
            ("HCPC17_CONTR_ANWEB.txt", "2017-01"),
            ("2018-Alpha-Numeric-HCPCS-File.zip", "2018-01"),
            ("HCPC2020_ANWEB_w_disclaimer.txt", "2020-01"),
            ("january-2025-alpha-numeric-hcpcs-file.zip", "2025-01"),
            ("HCPC2025_JAN_ANWEB_12172024.txt", "2025-01"),
            ("october-2025-alpha-numeric-hcpcs-files.zip", "2025-10"),
            ("HCPC2023_APR_ANWEB_v3.xlsx", "2023-04"),
            // The names CMS used before 2016, zips and the texts in them.
            ("14anweb.zip", "2014-01"),
            ("HCPC2014_ANWEB.txt", "2014-01"),
            ("anhcpc05.zip", "2005-01"),
            ("05anweb.txt", "2005-01"),
            ("2015-Annual-Alpha-Numeric-HCPCS-File.zip", "2015-01"),
            ("HCPC2015_CONTR_ANWEB_v2.txt", "2015-01"),
            ("2025-01.jsonl", "2025-01"),
            // A folder named for its release, as the real data's quarterly folders are.
            ("2020-04", "2020-04"),
            ("2020_10", "2020-10"),
            ("2020-13", "2020-01"),
            ("2020-0412", "2020-01"),
        ];
        for (name, want) in cases {
            assert_eq!(
                release_from_name(name).map(|r| r.to_string()).as_deref(),
                Some(want),
                "{name}"
            );
        }
        assert_eq!(release_from_name("anweb.xlsx"), None);
    }

    /// A member named only with its year takes the quarter from what holds it (the zip CMS
    /// named for the quarter, a folder named `YYYY-MM`), unless that names another year; the
    /// month is looked for at every place the year is written.
    #[test]
    fn a_member_named_only_with_its_year_takes_the_month_from_its_container() {
        let cases = [
            (
                Some("HCPC2020_ANWEB.txt"),
                "april-2020-alpha-numeric-hcpcs-file.zip",
                "2020-04",
                "HCPC2020_ANWEB.txt in april-2020-alpha-numeric-hcpcs-file.zip",
            ),
            (
                Some("HCPC2020_ANWEB.txt"),
                "2020-07",
                "2020-07",
                "HCPC2020_ANWEB.txt in 2020-07",
            ),
            (
                Some("october-2020-alpha-numeric-hcpcs-file.zip/HCPC2020_ANWEB.txt"),
                "mirror",
                "2020-10",
                "HCPC2020_ANWEB.txt in october-2020-alpha-numeric-hcpcs-file.zip",
            ),
            // The member's own month wins; a container of another year gives no month.
            (
                Some("HCPC2025_JAN_ANWEB_12172024.txt"),
                "april-2025-alpha-numeric-hcpcs-file.zip",
                "2025-01",
                "HCPC2025_JAN_ANWEB_12172024.txt",
            ),
            (
                Some("HCPC2020_ANWEB.txt"),
                "april-2021-alpha-numeric-hcpcs-file.zip",
                "2020-01",
                "HCPC2020_ANWEB.txt",
            ),
            (
                Some("HCPC2020_ANWEB_w_disclaimer.txt"),
                "2020-Alpha-Numeric-HCPCS-File.zip",
                "2020-01",
                "HCPC2020_ANWEB_w_disclaimer.txt",
            ),
            // A member naming no year: the container's name, year and month.
            (Some("anweb.xlsx"), "2020-04", "2020-04", "2020-04"),
            (
                None,
                "hcpcs2020-update-2020-07",
                "2020-07",
                "hcpcs2020-update-2020-07",
            ),
        ];
        for (member, container, want, said) in cases {
            let (release, from) = release_from_names(member, container).unwrap();
            assert_eq!(
                (release.to_string().as_str(), from.as_str()),
                (want, said),
                "{member:?} in {container}"
            );
        }
        assert_eq!(release_from_names(Some("anweb.xlsx"), "mirror"), None);
    }
}
