//! Activation functions typed by the user: a small, total expression language in one variable
//! `z` (numbers, `+ - * / ^`, parentheses, `pi`, `e`, and `sin cos tan tanh exp log sqrt abs
//! relu sigmoid erf gelu`, `max(a, b)`, `min(a, b)`). Parsing never panics and says where it
//! stopped; evaluation is plain `f64` (a NaN is the caller's to reject). Links carry formulas,
//! so they are limited in length and depth.

use std::fmt;

/// A parsed formula.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Var,
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Tanh,
    Exp,
    Log,
    Sqrt,
    Abs,
    Relu,
    Sigmoid,
    Erf,
    Gelu,
    Max,
    Min,
}

const FUNCS: &[(&str, Func, usize)] = &[
    ("sin", Func::Sin, 1),
    ("cos", Func::Cos, 1),
    ("tan", Func::Tan, 1),
    ("tanh", Func::Tanh, 1),
    ("exp", Func::Exp, 1),
    ("log", Func::Log, 1),
    ("ln", Func::Log, 1),
    ("sqrt", Func::Sqrt, 1),
    ("abs", Func::Abs, 1),
    ("relu", Func::Relu, 1),
    ("sigmoid", Func::Sigmoid, 1),
    ("erf", Func::Erf, 1),
    ("gelu", Func::Gelu, 1),
    ("max", Func::Max, 2),
    ("min", Func::Min, 2),
];

/// Longest formula accepted (links carry it).
pub const MAX_LEN: usize = 200;
const MAX_DEPTH: usize = 40;

/// Why a formula was refused: what was expected, at which character.
#[derive(Clone, Debug, PartialEq)]
pub struct FormulaError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.at + 1)
    }
}

/// Parses `text` as a function of `z` (`x` is accepted as another name for it).
pub fn parse(text: &str) -> Result<Expr, FormulaError> {
    if text.len() > MAX_LEN {
        return Err(FormulaError { at: MAX_LEN, message: format!("a formula has at most {MAX_LEN} characters") });
    }
    let mut p = Parser { s: text.as_bytes(), i: 0, depth: 0 };
    let e = p.expr()?;
    p.skip();
    if p.i < p.s.len() {
        return Err(p.error(&format!("unexpected '{}'", p.s[p.i] as char)));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> FormulaError {
        FormulaError { at: self.i, message: message.into() }
    }

    fn skip(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, FormulaError>) -> Result<T, FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the formula nests too deeply"));
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expr(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.term()?;
        loop {
            let op = if self.eat(b'+') { Op::Add } else if self.eat(b'-') { Op::Sub } else { return Ok(left) };
            left = Expr::Bin(op, Box::new(left), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat(b'*') { Op::Mul } else if self.eat(b'/') { Op::Div } else { return Ok(left) };
            left = Expr::Bin(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        self.nested(|p| {
            if p.eat(b'-') {
                Ok(Expr::Neg(Box::new(p.unary()?)))
            } else if p.eat(b'+') {
                p.unary()
            } else {
                p.power()
            }
        })
    }

    /// `a ^ b` binds tighter than a sign on its left and groups to the right (`-z^2 = -(z^2)`).
    fn power(&mut self) -> Result<Expr, FormulaError> {
        let base = self.atom()?;
        if self.eat(b'^') {
            return Ok(Expr::Bin(Op::Pow, Box::new(base), Box::new(self.unary()?)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, FormulaError> {
        self.skip();
        let start = self.i;
        let Some(&c) = self.s.get(self.i) else { return Err(self.error("the formula ends too early")) };
        if c == b'(' {
            self.i += 1;
            let e = self.nested(|p| p.expr())?;
            if !self.eat(b')') {
                return Err(self.error("missing ')'"));
            }
            return Ok(e);
        }
        if c.is_ascii_digit() || c == b'.' {
            while self.i < self.s.len() && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.') {
                self.i += 1;
            }
            // An exponent: 1e-3, 2.5E4.
            if self.i < self.s.len() && (self.s[self.i] | 0x20) == b'e' {
                let mark = self.i;
                self.i += 1;
                if self.i < self.s.len() && (self.s[self.i] == b'-' || self.s[self.i] == b'+') {
                    self.i += 1;
                }
                if self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                } else {
                    self.i = mark;
                }
            }
            let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
            return text.parse::<f64>().map(Expr::Num).map_err(|_| FormulaError { at: start, message: format!("'{text}' is not a number") });
        }
        if c.is_ascii_alphabetic() {
            while self.i < self.s.len() && self.s[self.i].is_ascii_alphanumeric() {
                self.i += 1;
            }
            let name = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("").to_ascii_lowercase();
            match name.as_str() {
                "z" | "x" => return Ok(Expr::Var),
                "pi" => return Ok(Expr::Num(std::f64::consts::PI)),
                "e" => return Ok(Expr::Num(std::f64::consts::E)),
                _ => {}
            }
            let Some(&(_, func, arity)) = FUNCS.iter().find(|f| f.0 == name) else {
                return Err(FormulaError { at: start, message: format!("unknown name '{name}' (use z, numbers, pi, e and {})", FUNCS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")) });
            };
            if !self.eat(b'(') {
                return Err(self.error(&format!("'{name}' needs '(' after it")));
            }
            let mut args = Vec::new();
            for k in 0..arity {
                if k > 0 && !self.eat(b',') {
                    return Err(self.error(&format!("'{name}' takes {arity} arguments")));
                }
                args.push(self.nested(|p| p.expr())?);
            }
            if !self.eat(b')') {
                return Err(self.error("missing ')'"));
            }
            return Ok(Expr::Call(func, args));
        }
        Err(self.error(&format!("unexpected '{}'", c as char)))
    }
}

impl Expr {
    /// The value at `z`.
    pub fn eval(&self, z: f64) -> f64 {
        match self {
            Expr::Num(v) => *v,
            Expr::Var => z,
            Expr::Neg(a) => -a.eval(z),
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(z), b.eval(z));
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => pow(a, b),
                }
            }
            Expr::Call(f, args) => {
                let a = args[0].eval(z);
                match f {
                    Func::Sin => a.sin(),
                    Func::Cos => a.cos(),
                    Func::Tan => a.tan(),
                    Func::Tanh => a.tanh(),
                    Func::Exp => a.exp(),
                    Func::Log => a.ln(),
                    Func::Sqrt => a.sqrt(),
                    Func::Abs => a.abs(),
                    Func::Relu => a.max(0.0),
                    Func::Sigmoid => 1.0 / (1.0 + (-a).exp()),
                    Func::Erf => erf(a),
                    Func::Gelu => 0.5 * a * (1.0 + erf(a / std::f64::consts::SQRT_2)),
                    Func::Max => a.max(args[1].eval(z)),
                    Func::Min => a.min(args[1].eval(z)),
                }
            }
        }
    }
}

/// `a^b`, with integer powers of negative numbers real (`z^3` for z < 0).
fn pow(a: f64, b: f64) -> f64 {
    if b.fract() == 0.0 && b.abs() <= 64.0 { a.powi(b as i32) } else { a.powf(b) }
}

/// The error function, to 1.2e-7 (Numerical Recipes' `erfc` by Chebyshev fitting).
pub fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.26551223
        + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - erfc } else { erfc - 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_evaluate_with_the_usual_precedence() {
        let at = |f: &str, z: f64| parse(f).unwrap_or_else(|e| panic!("{f}: {e}")).eval(z);
        assert_eq!(at("1 + 2 * z", 3.0), 7.0);
        assert_eq!(at("-z^2", 3.0), -9.0);
        assert_eq!(at("2^3^2", 0.0), 512.0);
        assert_eq!(at("(z^2 - 1) / 2", 3.0), 4.0);
        assert_eq!(at("z^3", -2.0), -8.0);
        assert_eq!(at("max(z, 0) - relu(z)", 1.5), 0.0);
        assert_eq!(at("1e-3 * X", 2.0), 2e-3);
        assert!((at("z/sqrt(2) + (z^3 - 3*z)/sqrt(12)", 1.0) - (1.0 / 2f64.sqrt() - 2.0 / 12f64.sqrt())).abs() < 1e-15);
        assert!((at("tanh(pi) - tanh(3.141592653589793)", 0.0)).abs() < 1e-15);
        assert!((erf(1.0) - 0.8427007929).abs() < 2e-7 && (erf(-0.5) + 0.5204998778).abs() < 2e-7 && erf(0.0).abs() < 2e-7);
    }

    #[test]
    fn bad_formulas_are_errors_that_say_where() {
        for (text, at) in [("z +", 3), ("foo(z)", 0), ("(z", 2), ("z z", 2), ("max(z)", 5), ("<script>", 0), ("", 0), ("sin z", 4)] {
            let e = parse(text).expect_err(text);
            assert_eq!(e.at, at, "{text}: {e}");
        }
        assert!(parse(&"(".repeat(100)).is_err());
        assert!(parse(&"-".repeat(150)).is_err());
        assert!(parse(&"z+".repeat(101)).is_err());
    }
}
