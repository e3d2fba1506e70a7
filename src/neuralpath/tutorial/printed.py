"""What the tutorial prints: its numbers, copied from the text, to set beside ours.

Nothing here is computed. Each constant is the text's own figure, with the section it comes
from; ``neuralpath tutorial``, the notebook and the tests compare them with what the
listings give when they run. Where the text is wrong, the constant keeps the text's value
and an ``*_ERRATA`` entry says what is wrong, so the comparison shows the slip instead of
hiding it.
"""

# 3.2: simple_looped_nn_calc(3, x, w, b) "gives the output of 0.8354", and by hand:
OUTPUT_3_3_1 = 0.8354
HIDDEN_3_3_1 = (0.8909, 0.9677, 0.9909)  # h_1^(2), h_2^(2), h_3^(2)

# 3.3-3.5: %timeit on the author's machine, in seconds. None: the text gives no figure.
# (network, looped, vectorised)
TIMINGS = (
    ("3-3-1 (3.3)", 40e-6, None),
    ("4 layers (3.3, 3.5)", 70e-6, 46e-6),
    ("100-100-50-10 (3.5)", 41e-3, 84e-6),
)
SPEEDUP_100_100_50_10 = 500  # "increased the efficiency of the calculation 500 fold"

# 4.1: "The local minimum occurs at 2.249965"; the exact minimum of x^4 - 3x^3 + 2 is 9/4.
LOCAL_MINIMUM = 2.249965
EXACT_MINIMUM = 2.25

# 4.4: "the derivative evaluated at p1 might be [2.1, 0.7]"
GRADIENT_AT_P1 = (2.1, 0.7)

# 5: print(digits.data.shape)
DIGITS_SHAPE = (1797, 64)

# 5.1: digits.data[0,:] as printed (Out[2]). The text shows 65 values; the row has 64.
RAW_ROW_0 = (
    0., 0., 5., 13., 9., 1., 0., 0., 0., 0., 13., 15., 10., 15., 5., 0., 0., 3., 15., 2.,
    0., 11., 8., 0., 0., 4., 12., 0., 0., 8., 8., 0., 0., 5., 8., 0., 0., 0., 9., 8., 0.,
    0., 4., 11., 0., 1., 12., 7., 0., 0., 2., 14., 5., 10., 12., 0., 0., 0., 0., 6., 13.,
    10., 0., 0., 0.,
)
RAW_ROW_0_ERRATA = ("the text prints 65 values: one 0 too many after '5., 8., 0., 0.' "
                    "(positions 35-37); and it says the pixels range 'from 0 up to 15', "
                    "where the largest value in the data is 16")

# 5.1: X = StandardScaler().fit_transform(digits.data); X[0,:] as printed (Out[3]).
SCALED_ROW_0 = (
    0., -0.33501649, -0.04308102, 0.27407152, -0.66447751,
    -0.84412939, -0.40972392, -0.12502292, -0.05907756, -0.62400926,
    0.4829745, 0.75962245, -0.05842586, 1.12772113, 0.87958306,
    -0.13043338, -0.04462507, 0.11144272, 0.89588044, -0.86066632,
    -1.14964846, 0.51547187, 1.90596347, -0.11422184, -0.03337973,
    0.48648928, 0.46988512, -1.49990136, -1.61406277, 0.07639777,
    1.54181413, -0.04723238, 0., 0.76465553, 0.05263019,
    -1.44763006, -1.73666443, 0.04361588, 1.43955804, 0.,
    -0.06134367, 0.8105536, 0.63011714, -1.12245711, -1.06623158,
    0.66096475, 0.81845076, -0.08874162, -0.03543326, 0.74211893,
    1.15065212, -0.86867056, 0.11012973, 0.53761116, -0.75743581,
    0.20978513, -0.02359646, -0.29908135, 0.08671869, 0.20829258,
    -0.36677122, -1.14664746, -0.5056698, -0.19600752,
)
# index -> what is wrong with the printed value
SCALED_ROW_0_ERRATA = {55: "printed without its minus sign"}

# 5.3: y_train[0], y_v_train[0] -> (1, array([0., 1., 0., 0., 0., 0., 0., 0., 0., 0.]))
ONE_HOT_LABEL = 1
ONE_HOT_VECTOR = (0., 1., 0., 0., 0., 0., 0., 0., 0., 0.)

# 5.4: the network and its training
NN_STRUCTURE = (64, 30, 10)
ITERATIONS = 3000
ALPHA = 0.25

# 5.5 is lost from this copy of the text (it breaks off inside 5.4). The figure below is the
# one the follow-up post "Improve your neural networks - Part 1" quotes for this network.
ACCURACY = 0.86
