//! The instructor's regrade at the deadline: `grader batch` clones each
//! student's repository into the batch's own folder and checks out the last
//! commit of its default branch at or before the deadline, by the commit's
//! committer date, noting whether later commits were pushed after it.
//!
//! Every byte of a repository is the student's: every git command here runs
//! through `git::Git::hostile` (the repository's hooks and fsmonitor off, no
//! prompt, a time limit, bounded output, neither the system's nor the user's
//! git configuration, so no filter, alias or credential helper, and only the
//! usual transports: `ext::` and the like could run a command). Nothing
//! here runs the student's code.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::git::{what_git_said, Git};

/// How long a clone may take.
const CLONE_TIME_LIMIT: Duration = Duration::from_secs(300);
/// How much of the history's listing is read (some 300,000 commits).
const LOG_LIMIT: usize = 16 << 20;

/// What `grader batch` grades: a folder as it is, or a repository to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Folder(PathBuf),
    /// A URL (`file://` included) or the path of a repository.
    Repository(String),
}

impl Submission {
    /// The name its row gets (before it is made unique): the folder's or
    /// the repository's name, without `.git`.
    pub fn base_name(&self) -> String {
        match self {
            Submission::Folder(path) => {
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            }
            Submission::Repository(source) => {
                let trimmed = source.trim_end_matches('/');
                let last = trimmed.rsplit(['/', ':', '\\']).next().unwrap_or(trimmed);
                last.strip_suffix(".git").unwrap_or(last).to_owned()
            }
        }
    }
}

/// Whether `text` names a repository by URL (`scheme://...`, or scp-like `user@host:path`).
pub fn is_url(text: &str) -> bool {
    if let Some((scheme, _)) = text.split_once("://") {
        return !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    }
    // `git@github.com:org/repo`: a colon before any slash, and not a Windows drive (`C:\`).
    match (text.find(':'), text.find('/')) {
        (Some(colon), slash) => colon > 1 && slash.is_none_or(|s| colon < s) && text[..colon].contains('@'),
        _ => false,
    }
}

/// The repositories listed in `file`, one a line; blank lines and `#` comments skipped.
pub fn read_list(file: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("--repos {}: {e}", file.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// A deadline: seconds since the Unix epoch, parsed from RFC 3339
/// (`2026-12-01T23:59:00Z`, `2026-12-01T23:59:00+01:00`, fractions of a
/// second allowed and dropped).
pub fn parse_deadline(text: &str) -> Result<i64, String> {
    let refuse = |why: &str| {
        format!(
            "--before `{text}`: {why}; give an RFC 3339 time such as 2026-12-01T23:59:00Z or 2026-12-01T23:59:00+01:00"
        )
    };
    let bytes = text.as_bytes();
    let digits = |from: usize, count: usize| -> Result<i64, String> {
        let part = text.get(from..from + count).ok_or_else(|| refuse("too short"))?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(&format!("`{part}` is not a number")));
        }
        part.parse().map_err(|_| refuse("not a number"))
    };
    let at = |index: usize, wanted: &[u8]| bytes.get(index).is_some_and(|b| wanted.contains(b));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return Err(refuse("not of the form YYYY-MM-DDTHH:MM:SS followed by Z or an offset"));
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(refuse("no such date"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(refuse("no such time of day"));
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if count == 0 {
            return Err(refuse("a `.` without digits"));
        }
        rest = &fraction[count..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && &rest[3..4] == ":" => {
            let hours = digits(text.len() - 5, 2)?;
            let minutes = digits(text.len() - 2, 2)?;
            if hours > 23 || minutes > 59 {
                return Err(refuse("no such offset"));
            }
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
        "" => return Err(refuse("no time zone (add Z for UTC, or an offset such as +01:00)")),
        _ => return Err(refuse(&format!("`{rest}` is not a time zone"))),
    };
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Seconds since the epoch as RFC 3339 in UTC: `2026-12-01T23:59:00Z`.
pub fn rfc3339(unix: i64) -> String {
    let (days, seconds) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// What was checked out of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The default branch.
    pub branch: String,
    /// The full id of the commit checked out.
    pub commit: String,
    /// Its committer date, RFC 3339 in UTC.
    pub committed: String,
    /// The commits on the branch after it (pushed after the deadline).
    pub later_commits: usize,
    /// The committer date of the branch's newest commit, when there are later ones.
    pub newest: Option<String>,
}

impl Checkout {
    /// `3 later commits (the newest committed 2026-12-02T10:00:00Z)`; empty when none.
    pub fn later_push(&self) -> String {
        match (&self.newest, self.later_commits) {
            (Some(newest), count) if count > 0 => format!(
                "{count} later commit{} (the newest committed {newest})",
                if count == 1 { "" } else { "s" }
            ),
            _ => String::new(),
        }
    }

    /// The report's note on what was graded.
    pub fn note(&self, deadline: Option<i64>) -> String {
        let short = &self.commit[..self.commit.len().min(12)];
        let mut note = match deadline {
            Some(deadline) => format!(
                "graded commit {short} of {} (committed {}), the last at or before the deadline {}",
                self.branch,
                self.committed,
                rfc3339(deadline)
            ),
            None => {
                format!("graded commit {short}, the tip of {} (committed {})", self.branch, self.committed)
            }
        };
        if self.later_commits > 0 {
            note.push_str(&format!("; a later push exists: {}, not graded", self.later_push()));
        }
        note
    }
}

/// git on a repository being cloned or cloned already (see [`Git::hostile`]).
fn git(stop: &AtomicBool) -> Git<'_> {
    Git::default().hostile().stop(stop)
}

/// git in the clone at `dir`: its output as text where it succeeds, else why not.
fn git_in(dir: &Path, args: &[&str], cap: usize, stop: &AtomicBool) -> Result<String, String> {
    git(stop).cap(cap).in_dir(dir, args).map(|said| String::from_utf8_lossy(&said).into_owned())
}

/// Clones `source` into `dest` (replacing what an earlier batch left there)
/// and checks out the last commit of its default branch at or before
/// `deadline` (seconds since the epoch; the branch's tip without one).
/// Setting `stop` stops the git command running (the batch was interrupted).
pub fn clone_at(
    source: &str,
    dest: &Path,
    deadline: Option<i64>,
    stop: &AtomicBool,
) -> Result<Checkout, String> {
    if dest.symlink_metadata().is_ok() {
        std::fs::remove_dir_all(dest).map_err(|e| format!("cannot clear {}: {e}", dest.display()))?;
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // No checkout yet: the files come at the deadline's commit. `--template=`: no hooks copied
    // in; `--no-local`: a local repository is read through git's transport, not copied as files.
    let words = [
        "clone",
        "--quiet",
        "--no-checkout",
        "--single-branch",
        "--no-local",
        "--template=",
        "--config",
        "core.hooksPath=/dev/null",
        "--config",
        "core.fsmonitor=false",
        "--",
        source,
    ];
    let args: Vec<&OsStr> = words.iter().map(OsStr::new).chain([dest.as_os_str()]).collect();
    let cloned = git(stop).limit(CLONE_TIME_LIMIT).cap(64 << 10).run(&args)?;
    if !cloned.success {
        return Err(format!("cannot clone it: {}", what_git_said(&cloned.stderr)));
    }
    let branch = git_in(dest, &["symbolic-ref", "--short", "HEAD"], 4096, stop)
        .map(|b| b.trim().to_owned())
        .map_err(|why| format!("no default branch: {why}"))?;
    let history = git_in(dest, &["log", "--first-parent", "--format=%H %ct", "HEAD", "--"], LOG_LIMIT, stop)
        .map_err(|_| format!("no commit on its default branch {branch}"))?;
    let commits: Vec<(&str, i64)> = history
        .lines()
        .filter_map(|line| {
            let (id, time) = line.split_once(' ')?;
            let valid = id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit());
            valid.then_some((id, time.trim().parse().ok()?))
        })
        .collect();
    let Some(&(_, newest)) = commits.first() else {
        return Err(format!("no commit on its default branch {branch}"));
    };
    let chosen = commits.iter().position(|(_, time)| deadline.is_none_or(|d| *time <= d));
    let Some(index) = chosen else {
        let oldest = commits.last().map(|(_, t)| rfc3339(*t)).unwrap_or_default();
        return Err(format!(
            "nothing on {branch} at or before the deadline {} (its oldest commit is of {oldest})",
            deadline.map(rfc3339).unwrap_or_default()
        ));
    };
    let (commit, time) = commits[index];
    git_in(dest, &["checkout", "--quiet", "--detach", commit], 64 << 10, stop)
        .map_err(|why| format!("cannot check out {commit}: {why}"))?;
    Ok(Checkout {
        branch,
        commit: commit.to_owned(),
        committed: rfc3339(time),
        later_commits: index,
        newest: (index > 0).then(|| rfc3339(newest)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_rfc_3339_and_nothing_else() {
        assert_eq!(parse_deadline("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_deadline("2026-12-01T23:59:00Z"), Ok(1_796_169_540));
        assert_eq!(parse_deadline("2026-12-02T00:59:00+01:00"), Ok(1_796_169_540));
        assert_eq!(parse_deadline("2026-12-01T18:59:00.123-05:00"), Ok(1_796_169_540));
        assert_eq!(parse_deadline("2024-02-29t12:00:00z"), Ok(1_709_208_000));
        for bad in [
            "",
            "tomorrow",
            "2026-12-01",
            "2026-12-01T23:59:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-12-01T23:59:00+1:00",
            "2026-12-01T23:59:00Zjunk",
            "2026-12-01T23:59:00.Z",
            "２０２６-12-01T23:59:00Z",
        ] {
            let refused = parse_deadline(bad).unwrap_err();
            assert!(refused.contains("RFC 3339"), "{bad}: {refused}");
        }
        assert_eq!(rfc3339(1_796_169_540), "2026-12-01T23:59:00Z");
        assert_eq!(rfc3339(1_709_208_000), "2024-02-29T12:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn repositories_are_told_from_folders_and_named() {
        for url in
            ["https://github.com/org/alice.git", "file:///tmp/class/bob", "git@github.com:org/carol.git"]
        {
            assert!(is_url(url), "{url}");
        }
        for path in ["../submissions/alice", "/tmp/x:y/z", "C:\\class\\alice", "alice"] {
            assert!(!is_url(path), "{path}");
        }
        let name = |s: &str| Submission::Repository(s.into()).base_name();
        assert_eq!(name("https://github.com/org/alice.git"), "alice");
        assert_eq!(name("file:///tmp/class/bob/"), "bob");
        assert_eq!(name("git@github.com:carol.git"), "carol");
    }

    fn git(dir: &Path, args: &[&str], date: &str) {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=s", "-c", "user.email=s@example.com"])
            .args(args)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }

    #[test]
    fn the_deadline_picks_the_commit_and_a_repository_without_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("alice");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"], "2026-11-01T00:00:00Z");
        let stop = AtomicBool::new(false);
        let url = format!("file://{}", repo.display());
        let dest = dir.path().join("out/repos/alice");
        let empty = clone_at(&url, &dest, None, &stop).unwrap_err();
        assert!(empty.contains("no commit on its default branch main"), "{empty}");
        for (text, date) in [("one", "2026-11-01T10:00:00Z"), ("two", "2026-11-03T10:00:00Z")] {
            std::fs::write(repo.join("a.txt"), text).unwrap();
            git(&repo, &["add", "a.txt"], date);
            git(&repo, &["commit", "-qm", text], date);
        }
        let deadline = parse_deadline("2026-11-02T00:00:00Z").unwrap();
        let checkout = clone_at(&url, &dest, Some(deadline), &stop).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("a.txt")).unwrap(), "one");
        assert_eq!((checkout.branch.as_str(), checkout.committed.as_str()), ("main", "2026-11-01T10:00:00Z"));
        assert_eq!(checkout.later_push(), "1 later commit (the newest committed 2026-11-03T10:00:00Z)");
        // Again into the same folder: the earlier clone is replaced. At the tip without a deadline.
        let tip = clone_at(&url, &dest, None, &stop).unwrap();
        assert_eq!(
            (tip.later_commits, std::fs::read_to_string(dest.join("a.txt")).unwrap()),
            (0, "two".into())
        );
        let early = parse_deadline("2026-10-01T00:00:00Z").unwrap();
        let none = clone_at(&url, &dest, Some(early), &stop).unwrap_err();
        assert!(none.starts_with("nothing on main at or before the deadline 2026-10-01T00:00:00Z"), "{none}");
        let missing = clone_at("file:///nonexistent/x", &dest, None, &stop).unwrap_err();
        assert!(missing.starts_with("cannot clone it: fatal: "), "{missing}");
        // `ext::` runs a command: never allowed.
        let ext = clone_at("ext::sh -c touch% /tmp/grader-ext-ran", &dest, None, &stop).unwrap_err();
        assert!(ext.starts_with("cannot clone it: "), "{ext}");
        assert!(!Path::new("/tmp/grader-ext-ran").exists());
    }

    #[test]
    fn a_list_skips_blank_lines_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("repos.txt");
        std::fs::write(&file, "# the class\nfile:///a/alice\n\n  https://x/bob.git  \n# gone\n").unwrap();
        assert_eq!(read_list(&file).unwrap(), ["file:///a/alice", "https://x/bob.git"]);
        assert!(read_list(&dir.path().join("none")).unwrap_err().starts_with("--repos "));
    }
}
