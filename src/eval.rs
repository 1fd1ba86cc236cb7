//! Evaluation shared by the command line and the page: cross-validation folds (stratified and
//! seeded, or given per row), and the scores reported for them.

use crate::rng::Rng;

/// Which fold each row is tested in; `None`: the row always trains (like scikit-learn's
/// `PredefinedSplit` with fold -1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folds {
    pub of_row: Vec<Option<usize>>,
    pub count: usize,
}

impl Folds {
    /// Stratified k-fold: each class is shuffled (seeded) and dealt round-robin into the folds,
    /// continuing where the previous class stopped, so every fold gets each class in proportion
    /// and fold sizes differ by at most one.
    pub fn stratified(labels: &[u32], n_classes: usize, k: usize, seed: u64) -> Result<Folds, String> {
        if k < 2 {
            return Err(format!("cross-validation needs at least 2 folds, not {k}"));
        }
        if k > labels.len() {
            return Err(format!("{k} folds need at least {k} rows; there are {}", labels.len()));
        }
        let mut rng = Rng::derive(seed, 0xF01D);
        let mut of_row = vec![None; labels.len()];
        let mut next = 0;
        for c in 0..n_classes as u32 {
            let mut rows: Vec<usize> = (0..labels.len()).filter(|&r| labels[r] == c).collect();
            rng.shuffle(&mut rows);
            for r in rows {
                of_row[r] = Some(next % k);
                next += 1;
            }
        }
        Ok(Folds { of_row, count: k })
    }

    /// Folds from one id per row (any integers; -1 means "always train"). Ids are numbered in
    /// increasing order, so ids 1..5 and 0..4 give the same folds.
    pub fn from_ids(ids: &[i64]) -> Result<Folds, String> {
        let mut distinct: Vec<i64> = ids.iter().copied().filter(|&i| i != -1).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            return Err(format!("the folds file names {} fold(s); at least 2 are needed", distinct.len()));
        }
        let of_row = ids.iter().map(|i| distinct.binary_search(i).ok()).collect();
        Ok(Folds { of_row, count: distinct.len() })
    }

    /// Rows trained on and tested on in fold `f`, each in row order.
    pub fn split(&self, f: usize) -> (Vec<usize>, Vec<usize>) {
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (r, fold) in self.of_row.iter().enumerate() {
            if *fold == Some(f) { test.push(r) } else { train.push(r) }
        }
        (train, test)
    }
}

/// Macro-averaged F1: the unweighted mean over classes of 2PR/(P+R), over the classes present in
/// `truth` or predicted (a class never present nor predicted is left out, as scikit-learn does
/// with `labels=None`); a class with no true positive scores 0.
pub fn macro_f1(pred: &[u32], truth: &[u32], n_classes: usize) -> f64 {
    let mut tp = vec![0usize; n_classes];
    let mut predicted = vec![0usize; n_classes];
    let mut actual = vec![0usize; n_classes];
    for (&p, &t) in pred.iter().zip(truth) {
        predicted[p as usize] += 1;
        actual[t as usize] += 1;
        if p == t {
            tp[p as usize] += 1;
        }
    }
    let scores: Vec<f64> = (0..n_classes)
        .filter(|&c| predicted[c] + actual[c] > 0)
        .map(|c| 2.0 * tp[c] as f64 / (predicted[c] + actual[c]) as f64)
        .collect();
    if scores.is_empty() { 0.0 } else { scores.iter().sum::<f64>() / scores.len() as f64 }
}

/// Mean and (population) standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (m, (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_folds_keep_class_shares_and_follow_the_seed() {
        // 3 classes of 30, 20 and 7 rows into 4 folds.
        let labels: Vec<u32> = (0..57).map(|i| if i < 30 { 0 } else if i < 50 { 1 } else { 2 }).collect();
        let f = Folds::stratified(&labels, 3, 4, 9).unwrap();
        let mut sizes = [0usize; 4];
        for fold in 0..4 {
            let (train, test) = f.split(fold);
            assert_eq!(train.len() + test.len(), 57);
            sizes[fold] = test.len();
            for (c, n) in [(0u32, 30usize), (1, 20), (2, 7)] {
                let k = test.iter().filter(|&&r| labels[r] == c).count();
                assert!(k == n / 4 || k == n / 4 + 1, "class {c}: {k} in fold {fold}");
            }
        }
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
        assert_eq!(f, Folds::stratified(&labels, 3, 4, 9).unwrap());
        assert_ne!(f, Folds::stratified(&labels, 3, 4, 10).unwrap());
        assert!(Folds::stratified(&labels, 3, 1, 9).is_err());
    }

    #[test]
    fn fold_ids_are_numbered_in_order_and_minus_one_always_trains() {
        let f = Folds::from_ids(&[5, 3, -1, 5, 3, 9]).unwrap();
        assert_eq!(f.count, 3);
        assert_eq!(f.of_row, vec![Some(1), Some(0), None, Some(1), Some(0), Some(2)]);
        assert_eq!(f.split(1), (vec![1, 2, 4, 5], vec![0, 3]));
        assert!(Folds::from_ids(&[1, 1, -1]).is_err());
    }

    #[test]
    fn f1_matches_hand_computation() {
        // class 0: tp 1, predicted 2, actual 1 -> 2/3; class 1: tp 1, predicted 1, actual 2 -> 2/3.
        assert!((macro_f1(&[0, 0, 1], &[0, 1, 1], 2) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(macro_f1(&[0, 1], &[0, 1], 3), 1.0, "an absent class is left out");
        assert_eq!(macro_f1(&[1, 1], &[0, 0], 2), 0.0);
    }
}
