//! The ONNX graph of one forest: imputation and scaling as `ai.onnx`
//! operators, then an `ai.onnx.ml` `TreeEnsembleRegressor`.
//!
//! The input is float64, and the scaler and the tree comparisons run in the
//! same float64 arithmetic as coinlens. Thresholds and leaf values go into
//! the `*_as_tensor` attributes of `ai.onnx.ml` opset 3 as float64 tensors,
//! so every row takes the same branches as in `Forest::predict`. A float32
//! input was tried first and rejected: rounding a raw feature to float32
//! moved rows of the cmc-2021-23coins snapshot across a split point, and
//! one gem probability changed by 5.4e-3.

use super::messages::{self, Attribute, Dim, Node};
use super::proto::{Message, DOUBLE, FLOAT};
use super::OnnxError;
use crate::ml::forest::Forest;
use crate::ml::Scaler;

/// Name of the graph input, a `[N, F]` float64 tensor of raw feature rows.
pub const INPUT_NAME: &str = "features";

/// Graph name, output name and documentation, and the ordered feature names.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphSpec<'a> {
    pub graph_name: &'a str,
    /// Name of the `[N, 1]` float32 output.
    pub output_name: &'a str,
    pub output_doc: &'a str,
    pub feature_names: &'a [String],
}

/// Builds the `GraphProto` that imputes, scales and runs `forest`.
pub fn forest_graph(
    spec: &GraphSpec,
    scaler: &Scaler,
    forest: &Forest,
) -> Result<Message, OnnxError> {
    let columns = spec.feature_names.len();
    check_shapes(scaler, forest, columns)?;
    let width = columns as i64;

    let initializers = [
        messages::double_tensor("medians", &[width], &scaler.medians),
        messages::double_tensor("means", &[width], &scaler.means),
        messages::double_tensor("std_devs", &[width], &scaler.std_devs),
    ];

    let mut nodes = scaler_nodes();
    nodes.push(
        Node {
            op_type: "TreeEnsembleRegressor",
            domain: "ai.onnx.ml",
            name: "forest",
            inputs: &["scaled"],
            outputs: &[spec.output_name],
            attributes: tree_attributes(forest)?,
        }
        .encode(),
    );

    let input_doc = format!(
        "raw feature rows, NaN or infinity for a missing value; columns in order: {}",
        spec.feature_names.join(", ")
    );
    let inputs = [messages::tensor_value_info(
        INPUT_NAME,
        DOUBLE,
        &[Dim::Symbolic("N"), Dim::Fixed(width)],
        &input_doc,
    )];
    let outputs = [messages::tensor_value_info(
        spec.output_name,
        FLOAT,
        &[Dim::Symbolic("N"), Dim::Fixed(1)],
        spec.output_doc,
    )];
    Ok(messages::graph(
        spec.graph_name,
        &nodes,
        &initializers,
        &inputs,
        &outputs,
    ))
}

fn check_shapes(scaler: &Scaler, forest: &Forest, columns: usize) -> Result<(), OnnxError> {
    let scaler_columns = [
        scaler.medians.len(),
        scaler.means.len(),
        scaler.std_devs.len(),
    ];
    if scaler_columns.iter().any(|&count| count != columns) || forest.n_features() != columns {
        return Err(OnnxError::ColumnMismatch {
            names: columns,
            scaler: scaler.medians.len(),
            forest: forest.n_features(),
        });
    }
    if forest.trees().is_empty() {
        return Err(OnnxError::EmptyForest);
    }
    Ok(())
}

/// `Scaler::transform` as operators: missing values (NaN or infinite) take
/// the training median, then `(x - mean) / std_dev`, all in float64.
fn scaler_nodes() -> Vec<Message> {
    let steps: [(&str, &str, &[&str], &str); 6] = [
        ("IsNaN", "find_nan", &[INPUT_NAME], "is_nan"),
        ("IsInf", "find_inf", &[INPUT_NAME], "is_inf"),
        ("Or", "find_missing", &["is_nan", "is_inf"], "missing"),
        (
            "Where",
            "impute",
            &["missing", "medians", INPUT_NAME],
            "imputed",
        ),
        ("Sub", "center", &["imputed", "means"], "centered"),
        ("Div", "scale", &["centered", "std_devs"], "scaled"),
    ];

    let mut nodes = Vec::new();
    for (op_type, name, inputs, output) in steps {
        let node = Node {
            op_type,
            domain: "",
            name,
            inputs,
            outputs: &[output],
            attributes: Vec::new(),
        };
        nodes.push(node.encode());
    }
    nodes
}

/// Builds the `TreeEnsembleRegressor` attributes for `forest`: one ONNX node
/// per forest node, ids equal to the index in `Tree::nodes`, and the mean of the
/// trees' leaf values as the output (`aggregate_function = AVERAGE`).
fn tree_attributes(forest: &Forest) -> Result<Vec<(&'static str, Attribute)>, OnnxError> {
    let mut tree_ids = Vec::new();
    let mut node_ids = Vec::new();
    let mut feature_ids = Vec::new();
    let mut modes = Vec::new();
    let mut thresholds = Vec::new();
    let mut true_ids = Vec::new();
    let mut false_ids = Vec::new();
    let mut leaf_tree_ids = Vec::new();
    let mut leaf_node_ids = Vec::new();
    let mut leaf_values = Vec::new();

    for (tree_index, tree) in forest.trees().iter().enumerate() {
        let count = tree.nodes.len();
        if count == 0 {
            return Err(OnnxError::MalformedTree {
                tree: tree_index,
                message: "the tree has no nodes".to_string(),
            });
        }
        for (node_index, node) in tree.nodes.iter().enumerate() {
            tree_ids.push(tree_index as i64);
            node_ids.push(node_index as i64);
            if node.left == 0 {
                feature_ids.push(0);
                modes.push("LEAF".to_string());
                thresholds.push(0.0);
                true_ids.push(0);
                false_ids.push(0);
                leaf_tree_ids.push(tree_index as i64);
                leaf_node_ids.push(node_index as i64);
                leaf_values.push(node.value);
                continue;
            }
            if node.left as usize >= count || node.right as usize >= count {
                return Err(OnnxError::MalformedTree {
                    tree: tree_index,
                    message: format!(
                        "node {node_index} has children {} and {} but the tree has {count} nodes",
                        node.left, node.right
                    ),
                });
            }
            if node.feature as usize >= forest.n_features() {
                return Err(OnnxError::MalformedTree {
                    tree: tree_index,
                    message: format!(
                        "node {node_index} splits on feature {} of {}",
                        node.feature,
                        forest.n_features()
                    ),
                });
            }
            feature_ids.push(i64::from(node.feature));
            modes.push("BRANCH_LEQ".to_string());
            thresholds.push(node.threshold);
            true_ids.push(i64::from(node.left));
            false_ids.push(i64::from(node.right));
        }
    }

    let leaf_count = leaf_values.len() as i64;
    let node_count = thresholds.len() as i64;
    Ok(vec![
        ("n_targets", Attribute::Int(1)),
        (
            "aggregate_function",
            Attribute::String("AVERAGE".to_string()),
        ),
        ("post_transform", Attribute::String("NONE".to_string())),
        ("nodes_treeids", Attribute::Ints(tree_ids)),
        ("nodes_nodeids", Attribute::Ints(node_ids)),
        ("nodes_featureids", Attribute::Ints(feature_ids)),
        ("nodes_modes", Attribute::Strings(modes)),
        (
            "nodes_values_as_tensor",
            Attribute::Tensor(messages::double_tensor("", &[node_count], &thresholds)),
        ),
        ("nodes_truenodeids", Attribute::Ints(true_ids)),
        ("nodes_falsenodeids", Attribute::Ints(false_ids)),
        ("target_treeids", Attribute::Ints(leaf_tree_ids)),
        ("target_nodeids", Attribute::Ints(leaf_node_ids)),
        ("target_ids", Attribute::Ints(vec![0; leaf_count as usize])),
        (
            "target_weights_as_tensor",
            Attribute::Tensor(messages::double_tensor("", &[leaf_count], &leaf_values)),
        ),
    ])
}
