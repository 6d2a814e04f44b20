//! How a message is written to and read back from a byte buffer, for persistence.
//!
//! The format is fixed and platform-independent: integers and floats little-endian at their
//! declared width (`usize`/`isize` as 64 bits), lengths and enum tags as LEB128 varints.
//! Decoding never panics and never trusts a length further than the input reaches: every
//! malformed input is a [`DecodeError`] saying what was wrong and where.

mod impls;
#[cfg(feature = "serde")]
mod serde;

#[cfg(feature = "serde")]
pub use self::serde::{serde_decode, serde_encode};

use std::fmt;

/// A type that can be written to bytes and read back, the same on every platform.
///
/// Implemented for the integers, floats, `bool`, `char`, `String`, `Vec<T>`, `Option<T>`,
/// `Box<T>`, arrays, tuples (up to 8) and `Duration`.
///
/// ```
/// use elasticq_runtime::{from_bytes, to_bytes};
///
/// let value = (7u32, String::from("topic"), Some(vec![1.5f64, -2.0]));
/// let bytes = to_bytes(&value);
/// assert_eq!(from_bytes::<(u32, String, Option<Vec<f64>>)>(&bytes), Ok(value));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no encoding for persistence or JetStream",
    label = "a persisted message, or one on JetStream, and each of its fields, must implement `elasticq::Codec`",
    note = "derive `elasticq::Codec` on `{Self}`, or use a type that has an encoding (integers, floats, bool, char, String, Vec, Option, Box, arrays, tuples, Duration)"
)]
pub trait Codec: Sized {
    /// The fewest bytes an encoded value takes; 0 for types that can encode to nothing.
    /// Decoding a collection uses it to refuse a length the remaining input cannot hold.
    const MIN_ENCODED_LEN: usize = 1;

    /// Appends this value's encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads a value from the front of `input`, advancing it past what was read.
    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError>;
}

/// Encodes `value` into a new buffer.
///
/// ```
/// assert_eq!(elasticq_runtime::to_bytes(&1u16), vec![1, 0]);
/// ```
pub fn to_bytes<T: Codec>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// Decodes a whole buffer as one `T`; bytes left over are an error.
///
/// ```
/// use elasticq_runtime::{from_bytes, DecodeError};
///
/// assert_eq!(from_bytes::<u16>(&[1, 0]), Ok(1));
/// assert!(matches!(from_bytes::<u16>(&[1]), Err(DecodeError::UnexpectedEnd { .. })));
/// assert!(matches!(from_bytes::<u16>(&[1, 0, 9]), Err(DecodeError::TrailingBytes { .. })));
/// ```
pub fn from_bytes<T: Codec>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut input = bytes;
    let value = T::decode(&mut input)?;
    if input.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes {
            offset: bytes.len() - input.len(),
            count: input.len(),
        })
    }
}

/// Why bytes could not be decoded.
///
/// ```
/// use elasticq_runtime::{from_bytes, DecodeError};
///
/// let error = from_bytes::<bool>(&[7]).unwrap_err();
/// assert_eq!(error.to_string(), "invalid bool: byte 7 is neither 0 nor 1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended `needed` bytes too early.
    UnexpectedEnd {
        /// How many more bytes the value needed.
        needed: usize,
    },
    /// A length prefix promises more elements than the rest of the input can hold.
    LengthTooLarge {
        /// The length read.
        length: u64,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// Bytes that no value of the type encodes to.
    Invalid {
        /// The type being decoded.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A whole buffer was decoded and bytes were left over.
    TrailingBytes {
        /// Where the leftover bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
    /// Values nested (through `Box` and `Vec`) deeper than [`MAX_DECODE_DEPTH`]: decoding
    /// them would overflow the stack.
    TooDeep {
        /// The deepest nesting decoded.
        max: usize,
    },
}

/// How deep values may nest, through `Box` and `Vec` (the ways a type can hold itself), in
/// one decode. Deeper input is [`DecodeError::TooDeep`], not a stack overflow that would kill
/// the process (a recovered log's records are decoded on the thread that opens it).
///
/// ```
/// use elasticq_runtime::{from_bytes, DecodeError, MAX_DECODE_DEPTH};
/// // A `Vec<Vec<..>>` 2,000 deep: each level a length of 1, the last one empty.
/// fn nested(depth: usize) -> Vec<u8> {
///     let mut bytes = vec![1u8; depth];
///     bytes.push(0);
///     bytes
/// }
/// #[derive(Debug, PartialEq)]
/// struct Tree(Vec<Tree>);
/// impl elasticq_runtime::Codec for Tree {
///     fn encode(&self, out: &mut Vec<u8>) { self.0.encode(out) }
///     fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> { Vec::decode(input).map(Tree) }
/// }
/// assert!(from_bytes::<Tree>(&nested(100)).is_ok());
/// assert_eq!(
///     from_bytes::<Tree>(&nested(2 * MAX_DECODE_DEPTH)),
///     Err(DecodeError::TooDeep { max: MAX_DECODE_DEPTH })
/// );
/// ```
pub const MAX_DECODE_DEPTH: usize = 1000;

thread_local! {
    /// How deep the decode running on this thread is nested in `Box` and `Vec` values.
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The same for encodes, and whether one went past `MAX_DECODE_DEPTH` since
    /// [`encoded_too_deep`] last looked: a persisted queue refuses a message it could not
    /// read back.
    static ENCODE_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static ENCODED_TOO_DEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `encode` one nesting level deeper, noting when it goes past [`MAX_DECODE_DEPTH`].
pub(crate) fn nested_encode(encode: impl FnOnce()) {
    let depth = ENCODE_DEPTH.with(|depth| {
        let deeper = depth.get() + 1;
        depth.set(deeper);
        deeper
    });
    if depth > MAX_DECODE_DEPTH {
        ENCODED_TOO_DEEP.with(|flag| flag.set(true));
    }
    encode();
    ENCODE_DEPTH.with(|depth| depth.set(depth.get() - 1));
}

/// Whether an encode on this thread nested deeper than [`MAX_DECODE_DEPTH`] since the last
/// call; resets the answer.
#[cfg_attr(not(feature = "persist"), allow(dead_code))]
pub(crate) fn encoded_too_deep() -> bool {
    ENCODED_TOO_DEEP.with(|flag| flag.replace(false))
}

/// Runs `decode` one nesting level deeper, refusing to go past [`MAX_DECODE_DEPTH`].
pub(crate) fn nested<T>(decode: impl FnOnce() -> Result<T, DecodeError>) -> Result<T, DecodeError> {
    struct Level;
    impl Drop for Level {
        fn drop(&mut self) {
            DEPTH.with(|depth| depth.set(depth.get() - 1));
        }
    }
    let depth = DEPTH.with(|depth| {
        let deeper = depth.get() + 1;
        depth.set(deeper);
        deeper
    });
    let _level = Level;
    if depth > MAX_DECODE_DEPTH {
        return Err(DecodeError::TooDeep {
            max: MAX_DECODE_DEPTH,
        });
    }
    decode()
}

impl DecodeError {
    /// An [`Invalid`](DecodeError::Invalid) error for type `what`.
    ///
    /// ```
    /// let error = elasticq_runtime::DecodeError::invalid("Level", "unknown variant 9");
    /// assert_eq!(error.to_string(), "invalid Level: unknown variant 9");
    /// ```
    pub fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        DecodeError::Invalid {
            what,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnexpectedEnd { needed } => {
                write!(f, "input ends {needed} bytes before the value does")
            }
            DecodeError::LengthTooLarge { length, remaining } => write!(
                f,
                "length {length} exceeds what the remaining {remaining} bytes can hold"
            ),
            DecodeError::Invalid { what, detail } => write!(f, "invalid {what}: {detail}"),
            DecodeError::TrailingBytes { offset, count } => {
                write!(f, "{count} bytes left over at offset {offset}")
            }
            DecodeError::TooDeep { max } => {
                write!(f, "values nested deeper than {max} levels")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Takes the first `n` bytes of `input`.
pub(crate) fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if input.len() < n {
        return Err(DecodeError::UnexpectedEnd {
            needed: n - input.len(),
        });
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

/// Appends `value` as an LEB128 varint.
///
/// ```
/// let mut out = Vec::new();
/// elasticq_runtime::__private::encode_varint(300, &mut out);
/// assert_eq!(out, [0xac, 0x02]);
/// ```
pub fn encode_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads an LEB128 varint of at most 10 bytes; a longer or overflowing one is an error.
///
/// ```
/// let mut input: &[u8] = &[0xac, 0x02, 9];
/// assert_eq!(elasticq_runtime::__private::decode_varint(&mut input), Ok(300));
/// assert_eq!(input, [9]);
/// ```
pub fn decode_varint(input: &mut &[u8]) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    for index in 0..10 {
        let byte = take(input, 1)?[0];
        let bits = u64::from(byte & 0x7f);
        if index == 9 && byte > 1 {
            return Err(DecodeError::invalid("varint", "more than 64 bits"));
        }
        value |= bits << (7 * index);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::invalid("varint", "longer than 10 bytes"))
}

/// Reads a collection length and checks that `T`s of that many could fit in the rest of
/// the input (types that may encode to nothing are capped at 65,536 elements).
pub(crate) fn decode_len<T: Codec>(input: &mut &[u8]) -> Result<usize, DecodeError> {
    const MAX_EMPTY_ELEMENTS: u64 = 1 << 16;
    let length = decode_varint(input)?;
    let fits = match T::MIN_ENCODED_LEN {
        0 => length <= MAX_EMPTY_ELEMENTS,
        min => length <= (input.len() / min) as u64,
    };
    if !fits {
        return Err(DecodeError::LengthTooLarge {
            length,
            remaining: input.len(),
        });
    }
    usize::try_from(length).map_err(|_| DecodeError::LengthTooLarge {
        length,
        remaining: input.len(),
    })
}
