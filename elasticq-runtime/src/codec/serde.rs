//! `codec = serde`: a message encoded through its `Serialize` and `DeserializeOwned` impls
//! (postcard's compact format), for types that already have them.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::DecodeError;

/// Appends `value`'s serde encoding to `out`; what a message declared `codec = serde`
/// encodes with.
///
/// # Panics
///
/// If `value`'s `Serialize` impl reports an error (a hand-written impl that fails, or a
/// sequence of unknown length): a `Codec` cannot refuse a value, so such a type cannot be
/// persisted; the panic names it.
///
/// ```
/// use elasticq_runtime::{serde_decode, serde_encode};
///
/// let mut out = Vec::new();
/// serde_encode(&(7u32, "seven".to_string()), &mut out);
/// let mut input = &out[..];
/// assert_eq!(serde_decode::<(u32, String)>(&mut input).unwrap(), (7, "seven".to_string()));
/// assert!(input.is_empty());
/// ```
pub fn serde_encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Into a fresh buffer: a failure must leave `out` as it was.
    match postcard::to_allocvec(value) {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(error) => panic!(
            "elasticq: a `{}` cannot be encoded through serde: {error}",
            std::any::type_name::<T>()
        ),
    }
}

/// Reads a value encoded by [`serde_encode`] from the front of `input`, advancing it.
/// Never panics: bad bytes are a [`DecodeError`].
///
/// ```
/// use elasticq_runtime::serde_decode;
/// let mut input = &[0xff_u8, 0xff, 0xff][..];
/// assert!(serde_decode::<String>(&mut input).is_err());
/// ```
pub fn serde_decode<T: DeserializeOwned>(input: &mut &[u8]) -> Result<T, DecodeError> {
    match postcard::take_from_bytes(input) {
        Ok((value, rest)) => {
            *input = rest;
            Ok(value)
        }
        Err(error) => Err(DecodeError::invalid(
            std::any::type_name::<T>(),
            error.to_string(),
        )),
    }
}
