//! NIST SP 800-38A, Appendix F.2: the CBC known answers for AES-128, -192 and -256, both
//! directions, read from `tests/data/nist-sp800-38a-cbc.txt`.
//!
//! The published vectors are raw CBC over four whole blocks, while this crate always
//! applies PKCS#7. So the checks are arranged to stay exact:
//! * encrypt: the first 64 bytes of `encrypt(P1..P4)` are C1..C4 (PKCS#7 only appends a
//!   block), and each block also encrypts alone with the previous ciphertext block as IV;
//! * decrypt: the published C1..C4 are followed by the one block a PKCS#7 encoder would add
//!   to a block-aligned message, `E(K, C4 xor 0x10..)`. Decrypting that must give exactly
//!   P1..P4, so every published ciphertext block goes through this crate's decryption.

use ipv_crypto::{BLOCK_LEN, Key, KeySize};

const DATA: &str = include_str!("data/nist-sp800-38a-cbc.txt");

/// One example of Appendix F.2.
struct Example {
    key: Vec<u8>,
    iv: [u8; BLOCK_LEN],
    plaintext: Vec<[u8; BLOCK_LEN]>,
    ciphertext: Vec<[u8; BLOCK_LEN]>,
}

fn block(hex_text: &str) -> [u8; BLOCK_LEN] {
    hex::decode(hex_text)
        .expect("hex in the data file")
        .try_into()
        .expect("16-byte block in the data file")
}

/// The section headed `[name]` of the data file.
fn example(name: &str) -> Example {
    let header = format!("[{name}]");
    let lines = DATA
        .lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .map(str::trim)
        .take_while(|line| !line.is_empty() && !line.starts_with('['));
    let mut key = None;
    let mut iv = None;
    let (mut plaintext, mut ciphertext) = (Vec::new(), Vec::new());
    for line in lines {
        let (field, value) = line.split_once(" = ").expect("`field = value` line");
        match field {
            "key" => key = Some(hex::decode(value).expect("hex key")),
            "iv" => iv = Some(block(value)),
            "block" => {
                let (p, c) = value.split_once(' ').expect("`plaintext ciphertext` pair");
                plaintext.push(block(p));
                ciphertext.push(block(c));
            }
            other => panic!("unknown field {other:?} in section {name}"),
        }
    }
    let example = Example {
        key: key.unwrap_or_else(|| panic!("section {name} is missing or has no key")),
        iv: iv.expect("iv"),
        plaintext,
        ciphertext,
    };
    assert_eq!(example.plaintext.len(), 4, "Appendix F.2 gives four blocks");
    example
}

fn concat(blocks: &[[u8; BLOCK_LEN]]) -> Vec<u8> {
    blocks.concat()
}

/// The block PKCS#7 appends after a block-aligned message whose last ciphertext block is
/// `previous`: the encryption of sixteen 0x10 bytes chained on `previous`.
fn full_padding_block(key: &[u8], previous: [u8; BLOCK_LEN]) -> Vec<u8> {
    let padding = Key::with_iv(key, previous).unwrap().encrypt(b"");
    assert_eq!(padding.len(), BLOCK_LEN);
    padding
}

fn check_size(example: &Example, expected: KeySize) {
    let key = Key::with_iv(&example.key, example.iv).unwrap();
    assert_eq!(key.size(), expected);
    assert_eq!(example.key.len(), expected.len());
}

fn check_encrypt(example: &Example) {
    let key = Key::with_iv(&example.key, example.iv).unwrap();
    let expected = concat(&example.ciphertext);

    // The whole message: the published four blocks, then exactly one padding block.
    let out = key.encrypt(&concat(&example.plaintext));
    assert_eq!(out.len(), 5 * BLOCK_LEN);
    assert_eq!(hex::encode(&out[..4 * BLOCK_LEN]), hex::encode(&expected));
    assert_eq!(
        &out[4 * BLOCK_LEN..],
        full_padding_block(&example.key, example.ciphertext[3])
    );

    // Every prefix of the message, through each of the encrypt entry points.
    for blocks in 1..=4 {
        let plaintext = concat(&example.plaintext[..blocks]);
        let want = &expected[..blocks * BLOCK_LEN];
        assert_eq!(&key.encrypt(&plaintext)[..want.len()], want);
        let mut in_place = plaintext.clone();
        key.encrypt_in_place(&mut in_place);
        assert_eq!(&in_place[..want.len()], want);
        let mut into = b"prefix".to_vec();
        key.encrypt_into(&plaintext, &mut into);
        assert_eq!(&into[..6], b"prefix");
        assert_eq!(&into[6..6 + want.len()], want);
    }

    // Block by block, as the document lists them: each block chained on the one before.
    let mut previous = example.iv;
    for (plain, cipher) in example.plaintext.iter().zip(&example.ciphertext) {
        let one = Key::with_iv(&example.key, previous).unwrap().encrypt(plain);
        assert_eq!(&one[..BLOCK_LEN], cipher);
        previous = *cipher;
    }
}

fn check_decrypt(example: &Example) {
    let key = Key::with_iv(&example.key, example.iv).unwrap();
    let expected = concat(&example.plaintext);

    // Every prefix C1..Ck, closed by the padding block chained on Ck.
    for blocks in 1..=4 {
        let mut ciphertext = concat(&example.ciphertext[..blocks]);
        ciphertext.extend(full_padding_block(
            &example.key,
            example.ciphertext[blocks - 1],
        ));
        let want = &expected[..blocks * BLOCK_LEN];
        assert_eq!(
            hex::encode(key.decrypt(&ciphertext).unwrap()),
            hex::encode(want)
        );
        let mut in_place = ciphertext.clone();
        key.decrypt_in_place(&mut in_place).unwrap();
        assert_eq!(in_place, want);
    }

    // Block by block: each published ciphertext block alone, chained on the one before.
    let mut previous = example.iv;
    for (plain, cipher) in example.plaintext.iter().zip(&example.ciphertext) {
        let mut one = cipher.to_vec();
        one.extend(full_padding_block(&example.key, *cipher));
        let decrypted = Key::with_iv(&example.key, previous)
            .unwrap()
            .decrypt(&one)
            .unwrap();
        assert_eq!(decrypted, plain);
        previous = *cipher;
    }
}

/// One test per example of Appendix F.2: `name => "section", size, direction`.
macro_rules! nist_cbc {
    ($($test:ident => $section:literal, $size:ident, $check:ident;)+) => {$(
        #[test]
        fn $test() {
            let example = example($section);
            check_size(&example, KeySize::$size);
            $check(&example);
        }
    )+};
}

nist_cbc! {
    f_2_1_cbc_aes128_encrypt => "F.2.1 CBC-AES128.Encrypt", Aes128, check_encrypt;
    f_2_2_cbc_aes128_decrypt => "F.2.2 CBC-AES128.Decrypt", Aes128, check_decrypt;
    f_2_3_cbc_aes192_encrypt => "F.2.3 CBC-AES192.Encrypt", Aes192, check_encrypt;
    f_2_4_cbc_aes192_decrypt => "F.2.4 CBC-AES192.Decrypt", Aes192, check_decrypt;
    f_2_5_cbc_aes256_encrypt => "F.2.5 CBC-AES256.Encrypt", Aes256, check_encrypt;
    f_2_6_cbc_aes256_decrypt => "F.2.6 CBC-AES256.Decrypt", Aes256, check_decrypt;
}

#[test]
fn data_file_holds_exactly_the_six_examples() {
    let headers: Vec<&str> = DATA.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(
        headers,
        [
            "[F.2.1 CBC-AES128.Encrypt]",
            "[F.2.2 CBC-AES128.Decrypt]",
            "[F.2.3 CBC-AES192.Encrypt]",
            "[F.2.4 CBC-AES192.Decrypt]",
            "[F.2.5 CBC-AES256.Encrypt]",
            "[F.2.6 CBC-AES256.Decrypt]",
        ]
    );
}
