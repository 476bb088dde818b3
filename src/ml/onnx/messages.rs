//! ONNX messages (`ModelProto`, `GraphProto`, `NodeProto`, ...) built on the
//! protobuf encoder. Field numbers are those of `onnx/onnx.proto`.

use super::proto::{Message, DOUBLE};

/// `AttributeProto.AttributeType` values.
const ATTRIBUTE_INT: i64 = 2;
const ATTRIBUTE_STRING: i64 = 3;
const ATTRIBUTE_TENSOR: i64 = 4;
const ATTRIBUTE_INTS: i64 = 7;
const ATTRIBUTE_STRINGS: i64 = 8;

/// Encodes a `TensorProto` of doubles, stored as little-endian `raw_data`.
pub fn double_tensor(name: &str, dims: &[i64], values: &[f64]) -> Message {
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut tensor = Message::new();
    tensor
        .packed_ints(1, dims)
        .int(2, i64::from(DOUBLE))
        .string(8, name)
        .bytes(9, &raw);
    tensor
}

/// An `AttributeProto` value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    Int(i64),
    String(String),
    Tensor(Message),
    Ints(Vec<i64>),
    Strings(Vec<String>),
}

/// Encodes an `AttributeProto` named `name`.
pub fn attribute(name: &str, value: &Attribute) -> Message {
    let mut message = Message::new();
    message.string(1, name);
    match value {
        Attribute::Int(value) => {
            message.int(3, *value).int(20, ATTRIBUTE_INT);
        }
        Attribute::String(value) => {
            message.string(4, value).int(20, ATTRIBUTE_STRING);
        }
        Attribute::Tensor(tensor) => {
            message.message(5, tensor).int(20, ATTRIBUTE_TENSOR);
        }
        Attribute::Ints(values) => {
            message.packed_ints(8, values).int(20, ATTRIBUTE_INTS);
        }
        Attribute::Strings(values) => {
            // `strings` is `repeated bytes`, which protobuf never packs.
            for value in values {
                message.string(9, value);
            }
            message.int(20, ATTRIBUTE_STRINGS);
        }
    }
    message
}

/// A `NodeProto`: one operator call in the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub op_type: &'a str,
    /// Operator set domain: "" for `ai.onnx`, "ai.onnx.ml" for the ML operators.
    pub domain: &'a str,
    pub name: &'a str,
    pub inputs: &'a [&'a str],
    pub outputs: &'a [&'a str],
    pub attributes: Vec<(&'a str, Attribute)>,
}

impl Node<'_> {
    pub fn encode(&self) -> Message {
        let mut message = Message::new();
        for input in self.inputs {
            message.string(1, input);
        }
        for output in self.outputs {
            message.string(2, output);
        }
        message.string(3, self.name).string(4, self.op_type);
        for (name, value) in &self.attributes {
            message.message(5, &attribute(name, value));
        }
        if !self.domain.is_empty() {
            message.string(7, self.domain);
        }
        message
    }
}

/// One dimension of a tensor shape: a fixed size or a named symbolic size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dim<'a> {
    Fixed(i64),
    Symbolic(&'a str),
}

/// Encodes a `ValueInfoProto` for a tensor of `elem_type` (a `TensorProto.DataType`).
pub fn tensor_value_info(name: &str, elem_type: i32, shape: &[Dim], doc: &str) -> Message {
    let mut shape_message = Message::new();
    for dim in shape {
        let mut dimension = Message::new();
        match dim {
            Dim::Fixed(size) => dimension.int(1, *size),
            Dim::Symbolic(param) => dimension.string(2, param),
        };
        shape_message.message(1, &dimension);
    }

    let mut tensor_type = Message::new();
    tensor_type
        .int(1, i64::from(elem_type))
        .message(2, &shape_message);
    let mut type_proto = Message::new();
    type_proto.message(1, &tensor_type);

    let mut value_info = Message::new();
    value_info.string(1, name).message(2, &type_proto);
    if !doc.is_empty() {
        value_info.string(3, doc);
    }
    value_info
}

/// Encodes a `GraphProto`.
pub fn graph(
    name: &str,
    nodes: &[Message],
    initializers: &[Message],
    inputs: &[Message],
    outputs: &[Message],
) -> Message {
    let mut message = Message::new();
    for node in nodes {
        message.message(1, node);
    }
    message.string(2, name);
    for initializer in initializers {
        message.message(5, initializer);
    }
    for input in inputs {
        message.message(11, input);
    }
    for output in outputs {
        message.message(12, output);
    }
    message
}

/// Top-level `ModelProto` fields besides the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelHeader<'a> {
    pub ir_version: i64,
    /// `(domain, version)` pairs for `opset_import`.
    pub opsets: &'a [(&'a str, i64)],
    pub producer_name: &'a str,
    pub producer_version: &'a str,
    pub doc: &'a str,
    /// `metadata_props` key/value pairs.
    pub metadata: &'a [(&'a str, String)],
}

/// Encodes a `ModelProto` containing `graph`.
pub fn model(header: &ModelHeader, graph: &Message) -> Message {
    let mut message = Message::new();
    message
        .int(1, header.ir_version)
        .string(2, header.producer_name)
        .string(3, header.producer_version)
        .string(6, header.doc)
        .message(7, graph);
    for (domain, version) in header.opsets {
        let mut opset = Message::new();
        opset.string(1, domain).int(2, *version);
        message.message(8, &opset);
    }
    for (key, value) in header.metadata {
        let mut entry = Message::new();
        entry.string(1, key).string(2, value);
        message.message(14, &entry);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_attribute_bytes() {
        let bytes = attribute("n", &Attribute::Int(1)).into_bytes();
        // name = "n" (field 1), i = 1 (field 3), type = INT (field 20).
        assert_eq!(bytes, [0x0a, 0x01, b'n', 0x18, 0x01, 0xa0, 0x01, 0x02]);
    }

    #[test]
    fn strings_attribute_repeats_field() {
        let value = Attribute::Strings(vec!["a".into(), "bc".into()]);
        let bytes = attribute("m", &value).into_bytes();
        let expected = [
            0x0a, 0x01, b'm', 0x4a, 0x01, b'a', 0x4a, 0x02, b'b', b'c', 0xa0, 0x01, 0x08,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn double_tensor_bytes() {
        let bytes = double_tensor("t", &[1], &[1.0]).into_bytes();
        let expected = [
            0x0a, 0x01, 0x01, // dims = [1], packed
            0x10, 0x0b, // data_type = DOUBLE
            0x42, 0x01, b't', // name
            0x4a, 0x08, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // raw_data = 1.0
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn value_info_with_symbolic_batch() {
        let bytes =
            tensor_value_info("x", 1, &[Dim::Symbolic("N"), Dim::Fixed(3)], "").into_bytes();
        let expected = [
            0x0a, 0x01, b'x', // name
            0x12, 0x0f, // type
            0x0a, 0x0d, // tensor_type
            0x08, 0x01, // elem_type = FLOAT
            0x12, 0x09, // shape
            0x0a, 0x03, 0x12, 0x01, b'N', // dim_param = "N"
            0x0a, 0x02, 0x08, 0x03, // dim_value = 3
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn node_with_domain() {
        let node = Node {
            op_type: "Op",
            domain: "d",
            name: "k",
            inputs: &["a"],
            outputs: &["b"],
            attributes: Vec::new(),
        };
        let expected = [
            0x0a, 0x01, b'a', 0x12, 0x01, b'b', 0x1a, 0x01, b'k', 0x22, 0x02, b'O', b'p', 0x3a,
            0x01, b'd',
        ];
        assert_eq!(node.encode().into_bytes(), expected);
    }
}
