//! Padding-free execution: which rows of a [B, T] batch the transformer actually runs.
//!
//! Every projection, layer norm, dropout and MLP of GPT-2 works token by token, so the
//! padding positions of a right-padded batch only cost time: their hidden states never
//! reach a real token (attention is causal and the padding comes after the real tokens)
//! and never reach the loss (the classifier pools at a real token). [`BatchLayout`]
//! reads the batch once on the host and, when the batch is right-padded, lists the real
//! tokens so the transformer can run on those alone ("packed" rows, N = Σ lengths instead
//! of B·T); attention scatters them back into the [B, T] layout, where the usual mask
//! applies. It also gives each row's pooled position (transformers' rule: the rightmost
//! token that is not the padding token), so the last block can stop at those rows.
//!
//! Batches with any other mask shape (left padding, holes, a masked pooled token, an
//! empty row) run every position, as before.

/// The shape of one batch, read from host copies of `input_ids` and `attention_mask`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLayout {
    pub batch: i64,
    pub time: i64,
    /// Attention-mask ones per row.
    pub lengths: Vec<i64>,
    /// Per row, the position the classifier pools at: the rightmost token that is not
    /// `pad_id`, 0 when the row is all padding.
    pub last: Vec<i64>,
    /// Every row is 1…1 0…0 with at least one real token, and its pooled token is real.
    pub right_padded: bool,
}

impl BatchLayout {
    /// `ids` and `mask` are row-major [batch, time]; a mask value ≠ 0 marks a real token.
    pub fn read(ids: &[i64], mask: &[i64], batch: i64, time: i64, pad_id: i64) -> BatchLayout {
        let t = time as usize;
        let mut lengths = Vec::with_capacity(batch as usize);
        let mut last = Vec::with_capacity(batch as usize);
        let mut right_padded = true;
        for (row_ids, row_mask) in ids.chunks(t.max(1)).zip(mask.chunks(t.max(1))) {
            let length = row_mask.iter().take_while(|&&m| m != 0).count();
            right_padded &= length > 0 && row_mask[length..].iter().all(|&m| m == 0);
            let pooled = row_ids.iter().rposition(|&id| id != pad_id).unwrap_or(0);
            right_padded &= pooled < length;
            lengths.push(row_mask.iter().filter(|&&m| m != 0).count() as i64);
            last.push(pooled as i64);
        }
        right_padded &= lengths.len() as i64 == batch;
        BatchLayout {
            batch,
            time,
            lengths,
            last,
            right_padded,
        }
    }

    /// Whether running only the real tokens saves anything (and is exact).
    pub fn packs(&self) -> bool {
        self.right_padded && self.real_tokens() < self.batch * self.time
    }

    pub fn real_tokens(&self) -> i64 {
        self.lengths.iter().sum()
    }

    /// The flat position b·T + t of every real token, row by row.
    pub fn packed_index(&self) -> Vec<i64> {
        self.rows()
            .flat_map(|(b, len)| (0..len).map(move |t| b * self.time + t))
            .collect()
    }

    /// The position id t of every real token, row by row.
    pub fn packed_positions(&self) -> Vec<i64> {
        self.rows().flat_map(|(_, len)| 0..len).collect()
    }

    /// Each row's pooled token as an index into the packed tokens.
    pub fn packed_pooled(&self) -> Vec<i64> {
        let mut offset = 0;
        self.rows()
            .zip(&self.last)
            .map(|((_, len), &last)| {
                let at = offset + last;
                offset += len;
                at
            })
            .collect()
    }

    /// The position id of every flat position of the padded batch.
    pub fn padded_positions(&self) -> Vec<i64> {
        (0..self.batch).flat_map(|_| 0..self.time).collect()
    }

    /// Each row's pooled token as a flat position b·T + last.
    pub fn padded_pooled(&self) -> Vec<i64> {
        self.last
            .iter()
            .enumerate()
            .map(|(b, &last)| b as i64 * self.time + last)
            .collect()
    }

    fn rows(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.lengths
            .iter()
            .enumerate()
            .map(|(b, &len)| (b as i64, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAD: i64 = 9;

    #[test]
    fn right_padded_batch_packs_its_real_tokens() {
        let ids = [5, 6, 9, 9, 7, 8, 1, 9, 3, 9, 9, 9];
        let mask = [1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0];
        let layout = BatchLayout::read(&ids, &mask, 3, 4, PAD);
        assert!(layout.right_padded && layout.packs());
        assert_eq!(layout.lengths, [2, 3, 1]);
        assert_eq!(layout.last, [1, 2, 0]);
        assert_eq!(layout.packed_index(), [0, 1, 4, 5, 6, 8]);
        assert_eq!(layout.packed_positions(), [0, 1, 0, 1, 2, 0]);
        assert_eq!(layout.packed_pooled(), [1, 4, 5]);
        assert_eq!(layout.padded_pooled(), [1, 6, 8]);
        assert_eq!(
            layout.padded_positions(),
            [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]
        );
    }

    #[test]
    fn full_batch_has_nothing_to_pack() {
        let layout = BatchLayout::read(&[1, 2, 3, 4], &[1, 1, 1, 1], 2, 2, PAD);
        assert!(layout.right_padded && !layout.packs());
    }

    #[test]
    fn other_masks_run_every_position() {
        // Left padding.
        let left = BatchLayout::read(&[9, 5, 6, 7], &[0, 1, 1, 1], 2, 2, PAD);
        assert!(!left.right_padded);
        // A hole in the mask.
        let hole = BatchLayout::read(&[5, 6, 7], &[1, 0, 1], 1, 3, PAD);
        assert!(!hole.right_padded);
        // An empty row.
        let empty = BatchLayout::read(&[5, 6, 9, 9], &[1, 1, 0, 0], 2, 2, PAD);
        assert!(!empty.right_padded);
        assert_eq!(empty.last, [1, 0]);
        // A masked position holding a non-pad token: transformers pools there.
        let masked_pool = BatchLayout::read(&[5, 6, 7], &[1, 1, 0], 1, 3, PAD);
        assert!(!masked_pool.right_padded);
        assert_eq!(masked_pool.last, [2]);
    }

    #[test]
    fn pad_token_inside_the_text_pools_before_it() {
        // The real tokens end with the pad id: pooling stays at the rightmost non-pad.
        let layout = BatchLayout::read(&[5, 9, 9, 7, 8, 9], &[1, 1, 0, 1, 1, 1], 2, 3, PAD);
        assert!(layout.right_padded && layout.packs());
        assert_eq!(layout.last, [0, 1]);
        assert_eq!(layout.packed_pooled(), [0, 3]);
    }
}
