//! Route patterns and the table that finds the first route matching a path.
//!
//! A pattern is a normalized path whose segments are literals, `*` (exactly
//! one segment, not empty) or, as the last segment only, `**` (any number of
//! segments, none included): `/api/health`, `/api/*/items`, `/api/**`, `/**`.
//! Patterns are compiled into a trie of segments, so a lookup walks the
//! path's segments once (branching only where a `*` sits beside a literal)
//! and costs about the same with 1 or 100 routes; regex routes, when the
//! `regex` feature is on, are tried after the trie, in order, only while
//! they could still come first.

use std::fmt;

/// One segment of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(Box<[u8]>),
    /// `*`: one segment.
    One,
    /// `**`: the rest of the path.
    Rest,
}

/// Why a pattern is not one.
pub(crate) struct PatternFlaw {
    pub message: String,
    pub fix: String,
}

/// A parsed path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub segments: Vec<Segment>,
}

impl Pattern {
    pub(crate) fn parse(text: &str) -> Result<Pattern, PatternFlaw> {
        let flaw = |message: String, fix: String| Err(PatternFlaw { message, fix });
        if !text.starts_with('/') {
            return flaw(
                format!("route path {text:?} does not start with `/`"),
                format!(
                    "write it from the root, like \"/{}\"",
                    text.trim_start_matches('/')
                ),
            );
        }
        if let Some(c) = text.chars().find(|c| matches!(c, '?' | '#' | '\\' | '%')) {
            return flaw(
                format!("route path {text:?} contains {c:?}; routes match the path alone, normalized"),
                "write the path as it reads after normalization: no query, fragment, `\\` or percent-escapes"
                    .into(),
            );
        }
        let body = &text[1..];
        let mut segments = Vec::new();
        if !body.is_empty() {
            let parts: Vec<&str> = body.split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                let last = i + 1 == parts.len();
                let segment = match *part {
                    "." | ".." => {
                        return flaw(
                            format!("route path {text:?} has a `{part}` segment, which no normalized path has"),
                            "write the path with its dot segments resolved".into(),
                        )
                    }
                    "**" if last => Segment::Rest,
                    "**" => {
                        return flaw(
                            format!("route path {text:?} has `**` before its end"),
                            "`**` may only end a pattern (`/api/**`); use `*` for one segment".into(),
                        )
                    }
                    "*" => Segment::One,
                    p if p.contains('*') => {
                        return flaw(
                            format!("route path {text:?} has `*` inside the segment {p:?}"),
                            "`*` must be a whole segment (`/files/*`); write a `regex` route for finer patterns"
                                .into(),
                        )
                    }
                    p => Segment::Literal(p.as_bytes().into()),
                };
                segments.push(segment);
            }
        }
        Ok(Pattern { segments })
    }

    /// Whether every path this pattern matches is matched by `self`.
    pub(crate) fn covers(&self, other: &Pattern) -> bool {
        let mut theirs = other.segments.iter();
        for mine in &self.segments {
            match (mine, theirs.next()) {
                (Segment::Rest, _) => return true,
                (Segment::One, Some(Segment::One | Segment::Literal(_))) => {}
                (Segment::Literal(a), Some(Segment::Literal(b))) if a == b => {}
                _ => return false,
            }
        }
        theirs.next().is_none()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for s in &self.segments {
            f.write_str("/")?;
            match s {
                Segment::Literal(l) => f.write_str(&String::from_utf8_lossy(l))?,
                Segment::One => f.write_str("*")?,
                Segment::Rest => f.write_str("**")?,
            }
        }
        Ok(())
    }
}

/// A compiled regex route: a dense DFA, searched without allocating.
#[cfg(feature = "regex")]
pub(crate) type Regex = regex_automata::dfa::dense::DFA<Vec<u32>>;

/// Without the `regex` feature no regex route compiles.
#[cfg(not(feature = "regex"))]
pub(crate) type Regex = std::convert::Infallible;

#[cfg(feature = "regex")]
use regex_automata::dfa::Automaton;

/// "No route": larger than every route index.
pub(crate) const NONE: u32 = u32::MAX;

#[derive(Debug, Default)]
struct Node {
    /// Literal children, sorted by segment.
    literals: Vec<(Box<[u8]>, u32)>,
    /// The child for `*`.
    one: Option<u32>,
    /// The first route whose pattern ends here.
    end: u32,
    /// The first route whose pattern ends here with `**`.
    rest: u32,
}

/// The compiled patterns of a route list.
#[derive(Debug)]
pub(crate) struct Table {
    nodes: Vec<Node>,
    #[cfg(feature = "regex")]
    regexes: Vec<(u32, Regex)>,
}

impl Table {
    pub(crate) fn new() -> Table {
        Table {
            nodes: vec![Node {
                end: NONE,
                rest: NONE,
                ..Node::default()
            }],
            #[cfg(feature = "regex")]
            regexes: Vec::new(),
        }
    }

    /// Adds route `index` (routes are added in order).
    pub(crate) fn insert(&mut self, index: u32, pattern: &Pattern) {
        let mut node = 0usize;
        for segment in &pattern.segments {
            let next = match segment {
                Segment::Rest => {
                    let n = &mut self.nodes[node];
                    n.rest = n.rest.min(index);
                    return;
                }
                Segment::One => self.nodes[node].one,
                Segment::Literal(l) => {
                    let lits = &self.nodes[node].literals;
                    lits.binary_search_by(|(k, _)| (**k).cmp(l))
                        .ok()
                        .map(|at| lits[at].1)
                }
            };
            node = match next {
                Some(n) => n as usize,
                None => {
                    let child = self.nodes.len() as u32;
                    self.nodes.push(Node {
                        end: NONE,
                        rest: NONE,
                        ..Node::default()
                    });
                    let n = &mut self.nodes[node];
                    match segment {
                        Segment::One => n.one = Some(child),
                        Segment::Literal(l) => {
                            let at = n
                                .literals
                                .binary_search_by(|(k, _)| (**k).cmp(l))
                                .unwrap_err();
                            n.literals.insert(at, (l.clone(), child));
                        }
                        Segment::Rest => unreachable!("handled above"),
                    }
                    child as usize
                }
            };
        }
        let n = &mut self.nodes[node];
        n.end = n.end.min(index);
    }

    /// Adds regex route `index`.
    pub(crate) fn insert_regex(&mut self, index: u32, regex: Regex) {
        #[cfg(feature = "regex")]
        self.regexes.push((index, regex));
        #[cfg(not(feature = "regex"))]
        let _ = (index, regex);
    }

    /// The first route matching `path` (normalized, starting with `/`), or [`NONE`].
    #[inline]
    pub(crate) fn lookup(&self, path: &[u8]) -> u32 {
        let mut best = NONE;
        let rest = &path[1..];
        self.walk(
            0,
            if rest.is_empty() { None } else { Some(rest) },
            &mut best,
        );
        #[cfg(feature = "regex")]
        for (index, regex) in &self.regexes {
            if *index >= best {
                break;
            }
            let input = regex_automata::Input::new(path)
                .anchored(regex_automata::Anchored::Yes)
                .earliest(true);
            // A DFA built without quit bytes or look-around it cannot do never errs.
            if matches!(regex.try_search_fwd(&input), Ok(Some(_))) {
                best = *index;
                break;
            }
        }
        best
    }

    fn walk(&self, node: usize, rest: Option<&[u8]>, best: &mut u32) {
        let n = &self.nodes[node];
        *best = (*best).min(n.rest);
        let Some(rest) = rest else {
            *best = (*best).min(n.end);
            return;
        };
        let (segment, after) = match rest.iter().position(|&b| b == b'/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if let Some(child) = n.child(segment) {
            self.walk(child as usize, after, best);
        }
        if let (Some(one), false) = (n.one, segment.is_empty()) {
            self.walk(one as usize, after, best);
        }
    }
}

impl Node {
    #[inline]
    fn child(&self, segment: &[u8]) -> Option<u32> {
        if self.literals.len() <= 8 {
            return self
                .literals
                .iter()
                .find(|(k, _)| **k == *segment)
                .map(|(_, c)| *c);
        }
        self.literals
            .binary_search_by(|(k, _)| (**k).cmp(segment))
            .ok()
            .map(|at| self.literals[at].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(patterns: &[&str]) -> Table {
        let mut t = Table::new();
        for (i, p) in patterns.iter().enumerate() {
            t.insert(i as u32, &Pattern::parse(p).ok().unwrap());
        }
        t
    }

    #[test]
    fn the_first_matching_route_wins() {
        let t = table(&[
            "/api/public/**",
            "/api/*/items",
            "/api/**",
            "/",
            "/health",
            "/**",
        ]);
        for (path, want) in [
            ("/api/public", 0),
            ("/api/public/x/y", 0),
            ("/api/v1/items", 1),
            ("/api/v1/items/", 2),
            ("/api", 2),
            ("/api/", 2),
            ("/api//items", 2),
            ("/", 3),
            ("/health", 4),
            ("/health/", 5),
            ("/apix", 5),
        ] {
            assert_eq!(t.lookup(path.as_bytes()), want, "{path}");
        }
        let t = table(&["/a/*", "/a/b"]);
        assert_eq!(t.lookup(b"/a/b"), 0);
        assert_eq!(t.lookup(b"/a/"), NONE);
        assert_eq!(t.lookup(b"/a"), NONE);
        assert_eq!(t.lookup(b"/b"), NONE);
    }

    #[test]
    fn patterns_are_checked() {
        for bad in [
            "api",
            "/a/**/b",
            "/a/*.json",
            "/a/../b",
            "/a?x",
            "/%61",
            "/a\\b",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        for good in ["/", "/**", "/a/*", "/a/", "/a//b"] {
            let p = Pattern::parse(good).ok().unwrap();
            assert_eq!(p.to_string(), good);
        }
    }

    #[test]
    fn coverage_finds_shadowed_routes() {
        let p = |s| Pattern::parse(s).ok().unwrap();
        assert!(p("/api/**").covers(&p("/api/x")));
        assert!(p("/api/**").covers(&p("/api/**")));
        assert!(p("/api/**").covers(&p("/api")));
        assert!(p("/**").covers(&p("/")));
        assert!(p("/*/x").covers(&p("/a/x")));
        assert!(!p("/*/x").covers(&p("/*/**")));
        assert!(!p("/api/*").covers(&p("/api/**")));
        assert!(!p("/api/x").covers(&p("/api/*")));
        assert!(!p("/api/x/**").covers(&p("/api/**")));
        assert!(!p("/api").covers(&p("/api/")));
    }
}
