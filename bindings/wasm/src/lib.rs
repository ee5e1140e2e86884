//! The corsgate engine as a WebAssembly module with a minimal export
//! surface, driven by the hand-written glue in `bindings/node/edge.js`.
//!
//! Memory protocol: the host writes the request's strings into the input
//! buffer ([`input`], [`INPUT_CAP`] bytes at first, grown by
//! [`input_reserve`] for a larger request) back to back and passes their
//! lengths; an absent header has length [`ABSENT`]. Answers are written into
//! the output buffer ([`output`]) and their length returned. Policy text is
//! passed the same way, through a buffer the host gets from [`alloc`].
//!
//! Every rule is core's: this file moves bytes.

use std::cell::RefCell;
use std::sync::Arc;

use corsgate::{
    Answer, Decision, HeaderName, Kind, PolicyBuilder, PolicySet, Request, RequestHeader,
};

/// The length that marks a header as absent.
pub const ABSENT: u32 = u32::MAX;
/// Initial capacity of the input buffer: the request strings of one decision.
pub const INPUT_CAP: usize = 64 * 1024;

/// A compiled policy file (with or without routes), or its problems.
pub struct Engine {
    set: Option<Arc<PolicySet>>,
    problems: String,
    host_predicate: bool,
}

/// How many distinct encoded decisions get an id (see [`Seen`]).
pub const SEEN_CAP: usize = 4096;
/// The id of a decision past [`SEEN_CAP`]: the host decodes it afresh.
pub const UNSEEN: u16 = u16::MAX;

/// The distinct encoded decisions met so far, each with an id, so that the
/// host decodes each one once and hands out its copy afterwards (as the
/// native addon's cache of header sets does). A request decides to one of
/// few outputs per policy; an output is stored (allocated) only the first
/// time it is met, and [`SEEN_CAP`] bounds the memory.
struct Seen {
    /// Open addressing over [`SLOTS`] slots: an id into `outputs`, or [`UNSEEN`].
    slots: Vec<u16>,
    outputs: Vec<Box<[u8]>>,
}

/// Slots of [`Seen`]'s table: a power of two, twice [`SEEN_CAP`].
const SLOTS: usize = 2 * SEEN_CAP;

impl Seen {
    fn new() -> Self {
        Seen {
            slots: vec![UNSEEN; SLOTS],
            outputs: Vec::new(),
        }
    }

    fn id(&mut self, bytes: &[u8]) -> u16 {
        // FNV-1a over 8-byte words: a short input, no need for a keyed hash
        // (equal bytes are checked, a collision costs a probe).
        let mut words = bytes.chunks_exact(8);
        let mut hash = words.by_ref().fold(0xcbf2_9ce4_8422_2325_u64, |h, w| {
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            (h ^ w).wrapping_mul(0x0100_0000_01b3)
        });
        for b in words.remainder() {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        hash ^= hash >> 29;
        let mut slot = (hash as usize) & (SLOTS - 1);
        loop {
            let id = self.slots[slot];
            if id == UNSEEN {
                break;
            }
            if same(&self.outputs[usize::from(id)], bytes) {
                return id;
            }
            slot = (slot + 1) & (SLOTS - 1);
        }
        // Not met before; `slot` is free (the table is never over half full).
        if self.outputs.len() >= SEEN_CAP {
            return UNSEEN;
        }
        let id = self.outputs.len() as u16;
        self.outputs.push(bytes.into());
        self.slots[slot] = id;
        id
    }
}

/// `a == b`, a word at a time: the `memcmp` wasm32 links compares bytes.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = wa.remainder() == wb.remainder();
    tail && wa.zip(wb).all(|(x, y)| {
        u64::from_le_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]])
            == u64::from_le_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]])
    })
}

thread_local! {
    static INPUT: RefCell<Vec<u8>> = RefCell::new(vec![0; INPUT_CAP]);
    static OUTPUT: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(4096));
    static SEEN: RefCell<Seen> = RefCell::new(Seen::new());
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "corsgate")]
extern "C" {
    /// The host's origin predicate: the origin's bytes; nonzero is "yes".
    fn origin_allowed(ptr: *const u8, len: u32) -> u32;
}

#[cfg(not(target_arch = "wasm32"))]
unsafe fn origin_allowed(_ptr: *const u8, _len: u32) -> u32 {
    0
}

/// The input buffer's address.
#[no_mangle]
pub extern "C" fn input() -> *mut u8 {
    INPUT.with(|b| b.borrow_mut().as_mut_ptr())
}

/// The output buffer's address (valid until the next call).
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.with(|b| b.borrow().as_ptr())
}

/// `len` bytes for the host to fill (policy text); give them back with [`dealloc`].
#[no_mangle]
pub extern "C" fn alloc(len: u32) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len as usize);
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Frees a buffer from [`alloc`].
///
/// # Safety
/// `ptr` and `len` must come from one [`alloc`] call, freed once.
#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: u32) {
    drop(Vec::from_raw_parts(ptr, 0, len as usize));
}

/// Compiles policy text (`format` 0: JSON, 1: TOML) of `len` bytes at
/// `ptr`. `predicate` nonzero: the host answers core's origin questions.
/// Never fails: an invalid policy's problems are read with [`problems`].
///
/// # Safety
/// `ptr..ptr+len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn compile(
    ptr: *const u8,
    len: u32,
    format: u32,
    predicate: u32,
) -> *mut Engine {
    let bytes = std::slice::from_raw_parts(ptr, len as usize);
    let host_predicate = predicate != 0;
    let configure = |_: &str, b: PolicyBuilder| {
        if host_predicate {
            b.host_origin_predicate()
        } else {
            b
        }
    };
    let built = match std::str::from_utf8(bytes) {
        Err(e) => Err(format!(
            "[{{\"code\":\"invalid-syntax\",\"key\":\"\",\"value\":\"\",\"message\":\"the policy is not UTF-8: {e}\",\"fix\":\"save the file as UTF-8\"}}]"
        )),
        Ok(text) => {
            let set = if format == 1 {
                PolicySet::from_toml_with(text, &configure)
            } else {
                PolicySet::from_json_with(text, &configure)
            };
            set.map_err(|e| {
                let list: Vec<_> = e
                    .problems()
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "code": p.code.as_str(), "key": p.key, "value": p.value,
                            "message": p.message, "fix": p.fix,
                        })
                    })
                    .collect();
                serde_json::Value::from(list).to_string()
            })
        }
    };
    let engine = match built {
        Ok(set) => Engine {
            set: Some(Arc::new(set)),
            problems: String::new(),
            host_predicate,
        },
        Err(problems) => Engine {
            set: None,
            problems,
            host_predicate,
        },
    };
    Box::into_raw(Box::new(engine))
}

/// Writes the engine's problems (a JSON list) to the output buffer and
/// returns their length; 0 when the policy built.
///
/// # Safety
/// `engine` must come from [`compile`] and not be freed.
#[no_mangle]
pub unsafe extern "C" fn problems(engine: *const Engine) -> u32 {
    let engine = &*engine;
    write_output(|out| out.extend_from_slice(engine.problems.as_bytes()))
}

/// Whether the policy file has routes (then [`decide`] reads the path).
///
/// # Safety
/// `engine` must come from [`compile`] and not be freed.
#[no_mangle]
pub unsafe extern "C" fn has_routes(engine: *const Engine) -> u32 {
    let engine = &*engine;
    engine
        .set
        .as_ref()
        .map_or(0, |s| u32::from(s.as_single().is_none()))
}

/// Frees an engine.
///
/// # Safety
/// `engine` must come from [`compile`], freed once.
#[no_mangle]
pub unsafe extern "C" fn free(engine: *mut Engine) {
    drop(Box::from_raw(engine));
}

/// Decides for the request in the input buffer: the method (`method`
/// bytes), then for Origin, ACRM, ACRH and ACRPN in that order their lines
/// (`origin`, `acrm`, `acrh`, `acrpn` of them; 0 when absent), each a u32 LE
/// length and its bytes, then the path (`path` bytes, [`ABSENT`] for none;
/// read only by a policy with routes). Writes the decision's id (u16 LE,
/// the same for the same bytes, [`UNSEEN`] past [`SEEN_CAP`]) and the
/// decision (see [`encode`]) to the output buffer and returns its length; 0 for an engine whose policy
/// did not build or a request that does not fit the buffer.
///
/// # Safety
/// `engine` must come from [`compile`] and not be freed.
#[no_mangle]
pub unsafe extern "C" fn decide(
    engine: *const Engine,
    method: u32,
    origin: u32,
    acrm: u32,
    acrh: u32,
    acrpn: u32,
    path: u32,
) -> u32 {
    let engine = &*engine;
    let Some(set) = engine.set.as_ref() else {
        return 0;
    };
    INPUT.with(|input| {
        let input = input.borrow();
        let mut at = 0usize;
        let mut take = |len: usize| -> Option<&[u8]> {
            let end = at.checked_add(len)?;
            let s = input.get(at..end)?;
            at = end;
            Some(s)
        };
        let Some(m) = take(method as usize) else {
            return 0;
        };
        let mut request = Request::new(m);
        for (header, lines) in RequestHeader::ALL
            .into_iter()
            .zip([origin, acrm, acrh, acrpn])
        {
            for _ in 0..lines {
                let Some(len) = take(4) else {
                    return 0;
                };
                let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                let Some(line) = take(len) else {
                    return 0;
                };
                request.push(header, line);
            }
        }
        let p = if path == ABSENT {
            &b"/"[..]
        } else {
            match take(path as usize) {
                Some(p) => p,
                None => return 0,
            }
        };
        let decision = if engine.host_predicate {
            let mut ask = |origin: &str| origin_allowed(origin.as_ptr(), origin.len() as u32) != 0;
            set.decide_with(p, &request, Answer::Ask(&mut ask))
        } else {
            set.decide(p, &request)
        };
        write_output(|out| {
            out.extend_from_slice(&[0, 0]);
            encode(&decision, out);
            let id = SEEN.with(|seen| seen.borrow_mut().id(&out[2..]));
            out[..2].copy_from_slice(&id.to_le_bytes());
        })
    })
}

fn write_output(f: impl FnOnce(&mut Vec<u8>)) -> u32 {
    OUTPUT.with(|out| {
        let mut out = out.borrow_mut();
        out.clear();
        f(&mut out);
        out.len() as u32
    })
}

/// The decision as bytes: kind (0 actual, 1 preflight, 2 not-cors), allowed
/// (0/1), status (u16 LE, 0 for none), the reason's index in core's order
/// (255 for none), whether a `Content-Length: 0` goes with it (core's rule
/// for preflights), the header count, then the `Vary` line (u16 LE length +
/// bytes) and each header (its index in `HeaderName::ALL`, u16 LE length,
/// value bytes).
fn encode(d: &Decision<'_>, out: &mut Vec<u8>) {
    out.push(match d.kind() {
        Kind::Actual => 0,
        Kind::Preflight => 1,
        _ => 2,
    });
    out.push(u8::from(d.allowed()));
    out.extend_from_slice(&d.status().unwrap_or(0).to_le_bytes());
    out.push(
        d.reason()
            .and_then(|r| corsgate::Reason::ALL.iter().position(|x| *x == r))
            .map_or(255, |i| i as u8),
    );
    // Core's Content-Length rule for a preflight the host answers itself.
    let length = match (d.kind(), d.status()) {
        (Kind::Preflight, Some(status)) => {
            corsgate::host::preflight_content_length(status).is_some()
        }
        _ => false,
    };
    out.push(u8::from(length));
    let count_at = out.len();
    out.push(0);
    let vary = d.vary_line().as_bytes();
    out.extend_from_slice(&(vary.len() as u16).to_le_bytes());
    out.extend_from_slice(vary);
    let mut count = 0u8;
    for h in d.headers() {
        let index = HeaderName::ALL
            .iter()
            .position(|n| *n == h.name)
            .unwrap_or(0);
        out.push(index as u8);
        out.extend_from_slice(&(h.value.len() as u16).to_le_bytes());
        out.extend_from_slice(h.value);
        count += 1;
    }
    out[count_at] = count;
}

/// The names the encoding's indexes stand for, `\n`-separated, then `\t` and
/// the reasons, then `\t` and the request headers [`decide`] reads, in its
/// order: the glue reads them once instead of hard-coding them.
#[no_mangle]
pub extern "C" fn names() -> u32 {
    write_output(|out| {
        let names: Vec<&str> = HeaderName::ALL.iter().map(|n| n.as_str()).collect();
        out.extend_from_slice(names.join("\n").as_bytes());
        out.push(b'\t');
        let reasons: Vec<&str> = corsgate::Reason::ALL.iter().map(|r| r.as_str()).collect();
        out.extend_from_slice(reasons.join("\n").as_bytes());
        out.push(b'\t');
        let read: Vec<&str> = RequestHeader::ALL.iter().map(|h| h.lowercase()).collect();
        out.extend_from_slice(read.join("\n").as_bytes());
    })
}

/// The input buffer's capacity.
#[no_mangle]
pub extern "C" fn input_capacity() -> u32 {
    INPUT.with(|b| b.borrow().len() as u32)
}

/// Grows the input buffer to at least `len` bytes (a request whose header
/// values do not fit: core refuses over-long values itself, so the host
/// passes them whole); returns its address, which moves when it grows.
#[no_mangle]
pub extern "C" fn input_reserve(len: u32) -> *mut u8 {
    INPUT.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < len as usize {
            b.resize(len as usize, 0);
        }
        b.as_mut_ptr()
    })
}

/// Core's `Vary` merge (SPEC §5) for a host that sees one joined value (a
/// Web `Headers`): the input buffer holds the response's value
/// (`existing` bytes) then the decision's `Vary` line (`tokens` bytes,
/// `", "`-joined). Writes the merged value to the output buffer and returns
/// its length; [`ABSENT`] when nothing changes.
#[no_mangle]
pub extern "C" fn merge_vary(existing: u32, tokens: u32) -> u32 {
    INPUT.with(|input| {
        let input = input.borrow();
        let (e, t) = (existing as usize, tokens as usize);
        let (Some(last), Some(line)) = (input.get(..e), input.get(e..e.saturating_add(t))) else {
            return ABSENT;
        };
        let Ok(line) = std::str::from_utf8(line) else {
            return ABSENT;
        };
        let tokens: Vec<&str> = line.split(", ").filter(|t| !t.is_empty()).collect();
        let mut merge = corsgate::host::VaryMerge::new(&tokens);
        merge.read(last);
        let Some(pieces) = merge.merged(last) else {
            return ABSENT;
        };
        write_output(|out| pieces.for_each(|p| out.extend_from_slice(p)))
    })
}

/// Whether corsgate owns the response header named by the `len` bytes in
/// the input buffer (core's rule: it replaces or removes such headers).
#[no_mangle]
pub extern "C" fn is_cors_response_header(len: u32) -> u32 {
    INPUT.with(|input| {
        let input = input.borrow();
        input.get(..len as usize).map_or(0, |name| {
            u32::from(corsgate::host::is_cors_response_header(name))
        })
    })
}
