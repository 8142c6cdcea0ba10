// SM4 mixer-substitution T (GB/T 32907-2016, 6.2) and its key-schedule
// variant T' (7.3): tau (the S-box on each byte) followed by the linear
// transform L(B) = B ^ B<<<2 ^ B<<<10 ^ B<<<18 ^ B<<<24, or, with KEY = 1,
// L'(B) = B ^ B<<<13 ^ B<<<23. Combinational; a[31:24] is the first byte.
module sm4_t #(
    parameter bit KEY = 1'b0
) (
    input  logic [31:0] a,
    output logic [31:0] y
);
    logic [31:0] b;
    for (genvar i = 0; i < 4; i++) begin : g_sbox
        sm4_sbox u_sbox (.a(a[8*i +: 8]), .y(b[8*i +: 8]));
    end
    if (KEY) begin : g_key
        assign y = b ^ {b[18:0], b[31:19]} ^ {b[8:0], b[31:9]};
    end else begin : g_data
        assign y = b ^ {b[29:0], b[31:30]} ^ {b[21:0], b[31:22]} ^ {b[13:0], b[31:14]} ^ {b[7:0], b[31:8]};
    end
endmodule
