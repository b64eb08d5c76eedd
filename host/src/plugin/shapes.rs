//! Shape arithmetic done before an operation runs, so that an operation whose result
//! would exceed the element cap (an outer product of two long vectors, a broadcast of
//! (n×1) with (1×n), `eye(10^6)`) is refused without allocating anything.

/// Number of elements of `shape`, saturating instead of overflowing.
pub fn numel(shape: &[i64]) -> u64 {
    shape
        .iter()
        .fold(1u64, |acc, &d| acc.saturating_mul(d.max(0) as u64))
}

/// Number of elements of a guest-given `list<u64>` shape, saturating.
pub fn numel_u64(shape: &[u64]) -> u64 {
    shape.iter().fold(1u64, |acc, &d| acc.saturating_mul(d))
}

/// Converts a guest shape to libtorch's `i64` dimensions.
pub fn to_dims(shape: &[u64]) -> Result<Vec<i64>, String> {
    shape
        .iter()
        .map(|&d| i64::try_from(d).map_err(|_| format!("dimension {d} is too large")))
        .collect()
}

/// The broadcast shape of two operands (NumPy rules), or why they do not broadcast.
pub fn broadcast(a: &[i64], b: &[i64]) -> Result<Vec<i64>, String> {
    let n = a.len().max(b.len());
    let dim = |s: &[i64], i: usize| {
        if i < n - s.len() {
            1
        } else {
            s[i - (n - s.len())]
        }
    };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(format!(
                "shapes {a:?} and {b:?} cannot be broadcast together"
            )),
        })
        .collect()
}

/// The result shape of `torch.matmul(a, b)`, or why the operands do not fit. Follows
/// torch: 1-D operands are promoted to a row (left) or a column (right) and the added
/// dimension removed again; leading (batch) dimensions broadcast.
pub fn matmul(a: &[i64], b: &[i64]) -> Result<Vec<i64>, String> {
    if a.is_empty() || b.is_empty() {
        return Err("matmul needs operands with at least one dimension".to_string());
    }
    let a2: Vec<i64> = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let b2: Vec<i64> = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(format!(
            "matmul shapes {a:?} and {b:?} do not match ({k} vs {k2})"
        ));
    }
    let mut out = broadcast(&a2[..a2.len() - 2], &b2[..b2.len() - 2])?;
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast(&[3, 1], &[1, 4]).unwrap(), [3, 4]);
        assert_eq!(broadcast(&[2, 3, 4], &[4]).unwrap(), [2, 3, 4]);
        assert_eq!(broadcast(&[], &[5]).unwrap(), [5]);
        assert!(broadcast(&[3], &[4])
            .unwrap_err()
            .contains("cannot be broadcast"));
    }

    #[test]
    fn matmul_shapes_follow_torch() {
        assert_eq!(matmul(&[2, 3], &[3, 4]).unwrap(), [2, 4]);
        assert_eq!(matmul(&[3], &[3, 4]).unwrap(), [4]);
        assert_eq!(matmul(&[2, 3], &[3]).unwrap(), [2]);
        assert_eq!(matmul(&[3], &[3]).unwrap(), Vec::<i64>::new());
        assert_eq!(matmul(&[5, 2, 3], &[3, 4]).unwrap(), [5, 2, 4]);
        assert_eq!(matmul(&[5, 1, 2, 3], &[7, 3, 4]).unwrap(), [5, 7, 2, 4]);
        assert!(matmul(&[2, 3], &[4, 5])
            .unwrap_err()
            .contains("do not match"));
    }

    #[test]
    fn numel_saturates() {
        assert_eq!(numel(&[]), 1);
        assert_eq!(numel(&[2, 3]), 6);
        assert_eq!(numel_u64(&[u64::MAX, 2]), u64::MAX);
    }
}
