//! Hand-written canonical-ABI glue for the two exports wit-bindgen cannot generate:
//! `regularizer.compute-penalty` and `grad-processor.process-grads` both take
//! `list<borrow<tensor>>` parameters, and wit-bindgen's Rust generator emits code that
//! does not compile for a list of borrowed imported resources
//! (bytecodealliance/wit-bindgen#811). `bindings` skips them; the `register_*!` macros
//! export these functions under the interface's names instead.
//!
//! Layout (wasm32, canonical ABI):
//! - parameters `(step: i64, a_ptr, a_len, b_ptr, b_len)`; each list is `len` i32 handle
//!   indices in memory the host allocated through `cabi_realloc`, which the callee frees.
//! - the result is returned through a static return area: a discriminant byte at 0, then
//!   at one pointer-size offset either the payload (`own<tensor>` handle, or two
//!   `(ptr, len)` lists) or the error string `(ptr, len)`. The `cabi_post_*` function
//!   frees what the host has read.
//!
//! Borrowed handles must be dropped before the export returns (the component model
//! traps otherwise); lifting them into `Tensor`s and dropping those does exactly that.

use std::mem::{size_of, MaybeUninit};

use crate::grad_processor::Grads;
use crate::tensor::Tensor;

const PTR: usize = size_of::<*const u8>();

/// A plugin's `compute-penalty` body: (step, A factors, B factors) → penalty.
pub type ComputePenalty = fn(u64, &[Tensor], &[Tensor]) -> Result<Tensor, String>;

/// A plugin's `process-grads` body: (step, A gradients, B gradients) → new gradients.
pub type ProcessGrads = fn(u64, &[Tensor], &[Tensor]) -> Result<Grads, String>;

/// Big enough for `result<processed-grads, string>`: discriminant + four words.
#[repr(C)]
struct RetArea([MaybeUninit<usize>; 5]);

static mut RET_AREA: RetArea = RetArea([MaybeUninit::uninit(); 5]);

/// Lifts a `list<borrow<tensor>>` and frees the list's memory.
unsafe fn lift_borrowed(ptr: *mut u8, len: usize) -> Vec<Tensor> {
    let mut tensors = Vec::with_capacity(len);
    for i in 0..len {
        let handle = unsafe { *ptr.add(i * 4).cast::<i32>() };
        tensors.push(unsafe { Tensor::from_handle(handle as u32) });
    }
    if len > 0 {
        let layout = std::alloc::Layout::from_size_align(len * 4, 4).expect("list layout");
        unsafe { std::alloc::dealloc(ptr, layout) };
    }
    tensors
}

/// Leaks `bytes` for the host to read; [`free_leaked`] takes it back in post-return.
fn leak<T>(items: Vec<T>) -> (*mut u8, usize) {
    let boxed = items.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<u8>(), len)
}

unsafe fn free_leaked<T>(ptr: *mut u8, len: usize) {
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.cast::<T>(), len)) });
}

unsafe fn write_error(ret: *mut u8, message: String) {
    let (ptr, len) = leak(message.into_bytes());
    unsafe {
        *ret = 1;
        *ret.add(PTR).cast::<*mut u8>() = ptr;
        *ret.add(2 * PTR).cast::<usize>() = len;
    }
}

fn ret_area() -> *mut u8 {
    (&raw mut RET_AREA).cast::<u8>()
}

fn run_ctors() {
    #[cfg(target_arch = "wasm32")]
    wit_bindgen::rt::run_ctors_once();
}

/// The body of the `compute-penalty` export.
///
/// # Safety
/// Only for the canonical-ABI export the macro generates: pointers and lengths come from
/// the host.
#[doc(hidden)]
pub unsafe fn export_compute_penalty(
    step: i64,
    a_ptr: *mut u8,
    a_len: usize,
    b_ptr: *mut u8,
    b_len: usize,
    compute: ComputePenalty,
) -> *mut u8 {
    run_ctors();
    let a = unsafe { lift_borrowed(a_ptr, a_len) };
    let b = unsafe { lift_borrowed(b_ptr, b_len) };
    let result = compute(step as u64, &a, &b);
    drop((a, b));
    let ret = ret_area();
    unsafe {
        match result {
            Ok(penalty) => {
                *ret = 0;
                *ret.add(PTR).cast::<i32>() = penalty.take_handle() as i32;
            }
            Err(message) => write_error(ret, message),
        }
    }
    ret
}

/// Frees what `compute-penalty` returned.
///
/// # Safety
/// `ret` must be the pointer [`export_compute_penalty`] returned.
#[doc(hidden)]
pub unsafe fn post_return_compute_penalty(ret: *mut u8) {
    unsafe {
        if *ret != 0 {
            free_leaked::<u8>(
                *ret.add(PTR).cast::<*mut u8>(),
                *ret.add(2 * PTR).cast::<usize>(),
            );
        }
    }
}

/// The body of the `process-grads` export.
///
/// # Safety
/// As for [`export_compute_penalty`].
#[doc(hidden)]
pub unsafe fn export_process_grads(
    step: i64,
    a_ptr: *mut u8,
    a_len: usize,
    b_ptr: *mut u8,
    b_len: usize,
    process: ProcessGrads,
) -> *mut u8 {
    run_ctors();
    let a = unsafe { lift_borrowed(a_ptr, a_len) };
    let b = unsafe { lift_borrowed(b_ptr, b_len) };
    let result = process(step as u64, &a, &b);
    drop((a, b));
    let ret = ret_area();
    unsafe {
        match result {
            Ok(grads) => {
                let handles = |ts: Vec<Tensor>| -> Vec<i32> {
                    ts.into_iter().map(|t| t.take_handle() as i32).collect()
                };
                let (pa, la) = leak(handles(grads.a));
                let (pb, lb) = leak(handles(grads.b));
                *ret = 0;
                *ret.add(PTR).cast::<*mut u8>() = pa;
                *ret.add(2 * PTR).cast::<usize>() = la;
                *ret.add(3 * PTR).cast::<*mut u8>() = pb;
                *ret.add(4 * PTR).cast::<usize>() = lb;
            }
            Err(message) => write_error(ret, message),
        }
    }
    ret
}

/// Frees what `process-grads` returned.
///
/// # Safety
/// `ret` must be the pointer [`export_process_grads`] returned.
#[doc(hidden)]
pub unsafe fn post_return_process_grads(ret: *mut u8) {
    unsafe {
        let word = |i: usize| *ret.add(i * PTR).cast::<usize>();
        if *ret == 0 {
            free_leaked::<i32>(word(1) as *mut u8, word(2));
            free_leaked::<i32>(word(3) as *mut u8, word(4));
        } else {
            free_leaked::<u8>(word(1) as *mut u8, word(2));
        }
    }
}
