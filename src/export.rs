//! Exports that are pure text (tested natively): the shown points' predictions and class
//! probabilities as CSV. The page turns them into downloads; nothing leaves the browser.

use crate::data::Dataset;
use crate::train::Snapshot;

/// One CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// `split, <features>, label, predicted, p(<class>)...` for every training then test point of a
/// snapshot. Features are the model's inputs (a CSV's encoded columns: standardised numbers and
/// one-hot categories), named as the data names them.
pub fn predictions_csv(train: &Dataset, test: &Dataset, snap: &Snapshot) -> String {
    let d = train.dim;
    let c = snap.n_classes;
    let names: Vec<String> = (0..d).map(|j| train.feature_names.get(j).cloned().unwrap_or_else(|| format!("x{}", j + 1))).collect();
    let class = |k: usize| train.class_names.get(k).cloned().unwrap_or_else(|| k.to_string());
    let mut out = String::new();
    let mut header = vec!["split".to_string()];
    header.extend(names.iter().map(|n| field(n)));
    header.extend(["label".to_string(), "predicted".to_string()]);
    header.extend((0..c).map(|k| field(&format!("p({})", class(k)))));
    out.push_str(&header.join(","));
    out.push('\n');
    let rows = [(train, "train", &snap.train_pred, 0), (test, "test", &snap.test_pred, train.len())];
    for (set, split, pred, offset) in rows {
        for i in 0..set.len().min(pred.len()) {
            let mut row = vec![split.to_string()];
            row.extend(set.row(i).iter().map(|v| v.to_string()));
            row.push(field(&class(set.y[i] as usize)));
            row.push(field(&class(pred[i] as usize)));
            let p = &snap.point_probs[(offset + i) * c..(offset + i + 1) * c];
            row.extend(p.iter().map(|v| v.to_string()));
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_csv_has_a_row_per_point_and_quotes_names() {
        let mut train = Dataset::new_2d(vec![[0.5, 1.0], [-1.0, 2.0]], vec![0, 1], 2);
        train.class_names = vec!["yes, really".into(), "no".into()];
        let test = Dataset::new_2d(vec![[3.0, -0.25]], vec![1], 2);
        let snap = Snapshot { n_classes: 2, train_pred: vec![0, 0], test_pred: vec![1], point_probs: vec![0.9, 0.1, 0.6, 0.4, 0.2, 0.8], ..Snapshot::default() };
        let text = predictions_csv(&train, &test, &snap);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("split,") && lines[0].ends_with("\"p(yes, really)\",p(no)"), "{}", lines[0]);
        assert_eq!(lines[2], "train,-1,2,no,\"yes, really\",0.6,0.4");
        assert_eq!(lines[3], "test,3,-0.25,no,no,0.2,0.8");
        // It reads back as a table with the same shape.
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().len(), 7);
        assert_eq!(r.records().count(), 3);
    }
}
