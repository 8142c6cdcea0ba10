// SM4 key memory: the key schedule (GB/T 32907-2016, 7.3) and the store of
// the 32 round keys rk_0..rk_31 it produces, read by index.
//
// A pulse on `load` requests a schedule of `key` (MK0 in key[127:96]); it
// starts once `hold` is low (no block in its rounds), sampling `key` then,
// and takes 32 clocks, one round key per clock: K = MK ^ FK, rk_i = K_i+4 =
// K_i ^ T'(K_i+1 ^ K_i+2 ^ K_i+3 ^ CK_i). A request during a schedule restarts
// it when it ends. `ready`: the store holds the keys of the last request;
// `busy`: a schedule is pending or running; `done` pulses when one completes.
module sm4_key (
    input  logic         clk,
    input  logic         rst,
    input  logic [127:0] key,
    input  logic         load,
    input  logic         hold,
    input  logic [4:0]   rd_idx,
    output logic [31:0]  rk_out,
    output logic         ready,
    output logic         busy,
    output logic         done
);
    // BEGIN GENERATED sm4_key_consts by `python -m rtl_verif.regs` from crypto/sm4.py (FK, CK) - do not edit
    localparam logic [127:0] FK = 128'ha3b1bac6_56aa3350_677d9197_b27022dc;  // FK0..FK3 (7.3)
    // CK_i, i = 0..31 (7.3)
    function automatic [31:0] ck(input integer i);
        begin
            ck = 32'h0;
            case (i)
                0: ck = 32'h00070e15;
                1: ck = 32'h1c232a31;
                2: ck = 32'h383f464d;
                3: ck = 32'h545b6269;
                4: ck = 32'h70777e85;
                5: ck = 32'h8c939aa1;
                6: ck = 32'ha8afb6bd;
                7: ck = 32'hc4cbd2d9;
                8: ck = 32'he0e7eef5;
                9: ck = 32'hfc030a11;
                10: ck = 32'h181f262d;
                11: ck = 32'h343b4249;
                12: ck = 32'h50575e65;
                13: ck = 32'h6c737a81;
                14: ck = 32'h888f969d;
                15: ck = 32'ha4abb2b9;
                16: ck = 32'hc0c7ced5;
                17: ck = 32'hdce3eaf1;
                18: ck = 32'hf8ff060d;
                19: ck = 32'h141b2229;
                20: ck = 32'h30373e45;
                21: ck = 32'h4c535a61;
                22: ck = 32'h686f767d;
                23: ck = 32'h848b9299;
                24: ck = 32'ha0a7aeb5;
                25: ck = 32'hbcc3cad1;
                26: ck = 32'hd8dfe6ed;
                27: ck = 32'hf4fb0209;
                28: ck = 32'h10171e25;
                29: ck = 32'h2c333a41;
                30: ck = 32'h484f565d;
                31: ck = 32'h646b7279;
                /* verilator coverage_off */ // defensive default: the 5-bit round index has an arm for each value
                default: ;
                /* verilator coverage_on */
            endcase
        end
    endfunction
    // END GENERATED sm4_key_consts

    logic [31:0] rk [32];
    logic        pending, run;
    logic [4:0]  idx;
    logic [31:0] k0, k1, k2, k3;  // the schedule's window K_i .. K_i+3
    logic [31:0] t_out;

    sm4_t #(.KEY(1'b1)) u_t (.a(k1 ^ k2 ^ k3 ^ ck({27'd0, idx})), .y(t_out));
    wire [31:0] k_next = k0 ^ t_out;

    assign rk_out = rk[rd_idx];
    assign busy   = pending || run;

    always_ff @(posedge clk) begin
        if (rst) begin
            pending <= 1'b0;
            run     <= 1'b0;
            ready   <= 1'b0;
            done    <= 1'b0;
            idx     <= 5'd0;
            {k0, k1, k2, k3} <= 128'd0;
        end else begin
            done <= 1'b0;
            if (load) begin
                pending <= 1'b1;
                ready   <= 1'b0;
            end
            if ((pending || load) && !run && !hold) begin
                pending <= 1'b0;
                run     <= 1'b1;
                idx     <= 5'd0;
                {k0, k1, k2, k3} <= key ^ FK;
            end else if (run) begin
                rk[idx] <= k_next;
                {k0, k1, k2, k3} <= {k1, k2, k3, k_next};
                idx <= idx + 5'd1;
                if (idx == 5'd31) begin
                    run   <= 1'b0;
                    ready <= !pending && !load;  // a newer request runs next
                    done  <= !pending && !load;
                end
            end
        end
    end
endmodule
