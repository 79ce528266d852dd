//! `ipv_crypto::b64` (base64-simd, chosen for speed) writes exactly the text the `base64`
//! crate's strict STANDARD engine writes, and accepts and refuses exactly the texts it
//! does, with the same bytes: the protocol's base64 did not change with the library.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as REFERENCE;
use ipv_crypto::b64;

fn check(text: &[u8]) {
    let ours = b64::decode(text).ok();
    let reference = REFERENCE.decode(text).ok();
    assert_eq!(ours, reference, "{:?}", String::from_utf8_lossy(text));
}

#[test]
fn short_texts_over_an_edge_case_alphabet() {
    // Every text of up to 4 characters: the last letters of each 6-bit group, padding in
    // every place, whitespace, the URL-safe letters and a foreign byte.
    let alphabet = b"AQgwB/+9=-_ \n.\xff";
    let mut text = Vec::new();
    let mut checked = 0;
    for len in 0..=4u32 {
        for mut n in 0..alphabet.len().pow(len) {
            text.clear();
            for _ in 0..len {
                text.push(alphabet[n % alphabet.len()]);
                n /= alphabet.len();
            }
            check(&text);
            checked += 1;
        }
    }
    assert_eq!(checked, 1 + 15 + 225 + 3_375 + 50_625);
}

#[test]
fn longer_texts_and_one_byte_mutations() {
    let alphabet = b"AQgwB/+9=-_ \n.\xff";
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for len in 0..300usize {
        let bytes: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
        let reference = REFERENCE.encode(&bytes);
        assert_eq!(b64::encode(&bytes), reference);
        let mut appended = String::from("prefix:");
        b64::encode_into(&bytes, &mut appended);
        assert_eq!(appended, format!("prefix:{reference}"));
        check(reference.as_bytes());
        assert_eq!(b64::decode(reference.as_bytes()).unwrap(), bytes);
        if !reference.is_empty() {
            for _ in 0..8 {
                let mut broken = reference.clone().into_bytes();
                let at = usize::try_from(next() % broken.len() as u64).unwrap();
                broken[at] = alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()];
                check(&broken);
            }
        }
    }
}

#[test]
fn a_refused_text_leaves_the_buffer_as_it_was() {
    let mut out = b"kept".to_vec();
    assert!(b64::decode_into(b"aXA", &mut out).is_err());
    assert_eq!(out, b"kept");
    b64::decode_into(b"aXB2", &mut out).unwrap();
    assert_eq!(out, b"keptipv");
}
