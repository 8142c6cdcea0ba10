// SM4 round engine (GB/T 32907-2016, 6.2): one round per clock,
// X_i+4 = X_i ^ T(X_i+1 ^ X_i+2 ^ X_i+3 ^ rk_i), output (X35, X34, X33, X32).
//
// A block is taken when in_valid && in_ready (X0 in in_data[127:96]), runs
// its 32 rounds reading round key rk_idx from the key memory (rk_31 first
// when it decrypts), and its result waits in the output register until
// out_ready. The last round writes the output register directly and the
// next block loads in that clock: 33 clocks from load to result, one block
// per 32 clocks back to back when the output is not stalled. in_tag travels
// with the block to out_tag.
module sm4_round #(
    parameter int TAG_W = 1
) (
    input  logic             clk,
    input  logic             rst,
    input  logic             in_valid,
    output logic             in_ready,
    input  logic [127:0]     in_data,
    input  logic             in_decrypt,
    input  logic [TAG_W-1:0] in_tag,
    output logic [4:0]       rk_idx,
    input  logic [31:0]      rk,
    output logic             busy,       // a block is in its rounds
    output logic             out_valid,
    input  logic             out_ready,
    output logic [127:0]     out_data,
    output logic [TAG_W-1:0] out_tag
);
    logic [4:0]       rnd;             // round being computed
    logic             dec;             // this block decrypts
    logic [TAG_W-1:0] tag;
    logic [31:0]      x0, x1, x2, x3;  // X_i .. X_i+3; x3 is the newest round output
    logic [31:0]      t_out;

    sm4_t #(.KEY(1'b0)) u_t (.a(x1 ^ x2 ^ x3 ^ rk), .y(t_out));
    wire [31:0] x_next = x0 ^ t_out;

    wire out_free  = !out_valid || out_ready;
    wire last_rnd  = busy && rnd == 5'd31;
    wire advance   = busy && (!last_rnd || out_free);  // the last round waits for the output
    wire finishing = last_rnd && out_free;

    assign rk_idx   = dec ? 5'd31 - rnd : rnd;
    assign in_ready = !busy || finishing;
    wire   load     = in_valid && in_ready;

    always_ff @(posedge clk) begin
        if (rst) begin
            busy      <= 1'b0;
            rnd       <= 5'd0;
            dec       <= 1'b0;
            tag       <= '0;
            {x0, x1, x2, x3} <= 128'd0;
            out_valid <= 1'b0;
            out_data  <= 128'd0;
            out_tag   <= '0;
        end else begin
            if (out_valid && out_ready) out_valid <= 1'b0;
            if (finishing) begin
                out_valid <= 1'b1;
                out_data  <= {x_next, x3, x2, x1};  // (X35, X34, X33, X32)
                out_tag   <= tag;
            end
            if (advance) begin
                {x0, x1, x2, x3} <= {x1, x2, x3, x_next};
                rnd <= rnd + 5'd1;
                if (last_rnd) busy <= 1'b0;
            end
            if (load) begin
                {x0, x1, x2, x3} <= in_data;
                busy <= 1'b1;
                rnd  <= 5'd0;
                dec  <= in_decrypt;
                tag  <= in_tag;
            end
        end
    end
endmodule
