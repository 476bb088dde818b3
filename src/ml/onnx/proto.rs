//! A protobuf encoder for the subset of `onnx.proto` that the export writes.
//!
//! Field numbers follow `onnx/onnx.proto` (ONNX 1.x). Only encoding is
//! needed, so each message is written straight into a byte buffer.
//! Repeated numeric fields are written packed, which every protobuf parser
//! accepts for proto2 fields too.

/// Protobuf wire types.
const VARINT: u32 = 0;
const LENGTH_DELIMITED: u32 = 2;

/// `TensorProto.DataType` values used here.
pub const FLOAT: i32 = 1;
pub const DOUBLE: i32 = 11;

/// A protobuf message under construction.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Message {
    bytes: Vec<u8>,
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    fn tag(&mut self, field: u32, wire_type: u32) {
        self.varint(u64::from(field << 3 | wire_type));
    }

    /// Writes an `int32`, `int64` or enum field. Negative values take ten
    /// bytes, as the protobuf encoding of `int64` requires.
    pub fn int(&mut self, field: u32, value: i64) -> &mut Self {
        self.tag(field, VARINT);
        self.varint(value as u64);
        self
    }

    pub fn bytes(&mut self, field: u32, value: &[u8]) -> &mut Self {
        self.tag(field, LENGTH_DELIMITED);
        self.varint(value.len() as u64);
        self.bytes.extend_from_slice(value);
        self
    }

    pub fn string(&mut self, field: u32, value: &str) -> &mut Self {
        self.bytes(field, value.as_bytes())
    }

    pub fn message(&mut self, field: u32, value: &Message) -> &mut Self {
        self.bytes(field, value.as_bytes())
    }

    /// Writes a repeated `int64` field in packed form.
    pub fn packed_ints(&mut self, field: u32, values: &[i64]) -> &mut Self {
        let mut body = Message::new();
        for value in values {
            body.varint(*value as u64);
        }
        self.bytes(field, body.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_matches_protobuf_reference() {
        // The protobuf encoding guide's example: field 1 set to 150.
        let mut message = Message::new();
        message.int(1, 150);
        assert_eq!(message.as_bytes(), &[0x08, 0x96, 0x01]);
    }

    #[test]
    fn negative_int_takes_ten_bytes() {
        let mut message = Message::new();
        message.int(2, -1);
        let expected = [
            0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        assert_eq!(message.as_bytes(), &expected);
    }

    #[test]
    fn string_is_length_delimited() {
        // The protobuf encoding guide's example: field 2 set to "testing".
        let mut message = Message::new();
        message.string(2, "testing");
        assert_eq!(
            message.as_bytes(),
            &[0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g']
        );
    }

    #[test]
    fn packed_ints_match_reference() {
        let mut message = Message::new();
        message.packed_ints(4, &[3, 270, 86942]);
        // The protobuf encoding guide's packed example.
        assert_eq!(
            message.as_bytes(),
            &[0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]
        );
    }

    #[test]
    fn nested_message_is_length_prefixed() {
        let mut inner = Message::new();
        inner.int(1, 150);
        let mut outer = Message::new();
        outer.message(3, &inner);
        assert_eq!(outer.as_bytes(), &[0x1a, 0x03, 0x08, 0x96, 0x01]);
    }
}
